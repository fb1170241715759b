"""litellm_rs under frameworks, offline (needs `pip install 'litellm-rs[langchain]'`).

1. LangChain models of litellm_rs's own (`litellm_rs.integrations.langchain`), answered by
   `mock_response` so that no key or network is needed.
2. `install_as_litellm()`: code (yours, or a framework's) that does `import litellm` gets
   litellm_rs — the same modules and classes under both names.
"""

import litellm_rs
from langchain_core.messages import AIMessage
from litellm_rs.integrations.langchain import ChatLiteLLM
from pydantic import BaseModel


class Joke(BaseModel):
    setup: str
    punchline: str


def main() -> None:
    # 1. LangChain: invoke, stream and structured output (a JSON answer parsed into Joke)
    llm = ChatLiteLLM(model="gpt-4o-mini", model_kwargs={"mock_response": "Hello from litellm_rs!"})
    msg = llm.invoke("Say hello")
    assert isinstance(msg, AIMessage)
    print("invoke:", msg.content, msg.usage_metadata)
    print("stream:", "".join(str(chunk.content) for chunk in llm.stream("Say hello")))
    joke_llm = ChatLiteLLM(
        model="gpt-4o-mini",
        model_kwargs={
            "mock_response": '{"setup": "Why do cats sit on laptops?", "punchline": "To keep an eye on the mouse."}'
        },
    )
    joke = joke_llm.with_structured_output(Joke, method="json_mode").invoke("A joke about cats, as JSON")
    print("structured:", joke)

    # 2. the alias: from here on, `import litellm` anywhere in the process gives litellm_rs
    litellm_rs.install_as_litellm()
    import litellm
    from litellm.types.utils import ModelResponse

    r = litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], mock_response="yo")
    print("alias:", litellm.__name__, isinstance(r, ModelResponse), type(r).__module__)


if __name__ == "__main__":
    main()
