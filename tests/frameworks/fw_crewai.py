"""CrewAI's LLM on its litellm path (is_litellm=True) over the alias: a call, a streamed call,
a tool call it executes itself, and a one-task crew."""

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit, get_weather

alias_on()

from crewai import LLM, Agent, Crew, Task

common = {"model": "openai/gpt-4o-mini", "base_url": MOCK_BASE, "api_key": MOCK_KEY, "is_litellm": True}
llm = LLM(temperature=0.6, **common)
out = {}

text = llm.call("Say hello")
out["plain"] = {"text": text, "usage": llm.get_token_usage_summary().model_dump()}

streaming = LLM(stream=True, **common)
out["stream"] = {"text": streaming.call("Say hello"), "usage": streaming.get_token_usage_summary().model_dump()}

schema = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
result = llm.call(
    [{"role": "user", "content": QUESTION}], tools=[schema], available_functions={"get_weather": get_weather}
)
out["tools"] = {"result": result}

agent = Agent(role="Greeter", goal="Greet people", backstory="A friendly greeter.", llm=llm, verbose=False)
task = Task(description="Say hello", expected_output="A greeting", agent=agent)
crew_out = Crew(agents=[agent], tasks=[task], verbose=False).kickoff()
out["crew"] = {"raw": crew_out.raw, "total_tokens": crew_out.token_usage.total_tokens}
emit(out)
