"""The proxy's /ui page in headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium), against a proxy whose deployments are the local mock server: a chat round trip whose
answer streams into the page, a rejection shown as its error message, the keys view listing a key
made with /key/generate, and the spend view showing the calls. Skipped where Chromium,
chromedriver or selenium are missing, except under scripts/test.sh (LITELLM_RS_REQUIRE_CHROMIUM=1),
which installs them."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litellm_rs import proxy
from mockserver import MockServer
from test_proxy import MASTER, write_config
from test_proxy_keys import admin

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Under the test command (scripts/test.sh installs chromium) the browser test must run. Read at
# import: the suite's clean_env fixture removes LITELLM_* variables while a test runs.
REQUIRED = bool(os.environ.get("LITELLM_RS_REQUIRE_CHROMIUM"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        from selenium import webdriver
    except ImportError:
        missing.append("selenium")
    if missing:
        if REQUIRED:
            pytest.fail(f"{', '.join(missing)} missing (scripts/test.sh installs them)")
        pytest.skip(f"{', '.join(missing)} missing")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,900")
    options.add_argument("--no-proxy-server")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def until(driver: Any, condition: Any, timeout: float = 15.0, message: str = "") -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition, message)


def text_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def use_key(driver: Any, key: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, "key")
    field.clear()
    field.send_keys(key)
    driver.find_element(By.ID, "key-use").click()
    until(driver, lambda d: text_of(d, "key-status") == f"using sk-...{key[-4:]}", message="key not taken")


def pick_model(driver: Any, name: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#model option[value='{name}']"), message="no models")
    Select(driver.find_element(By.ID, "model")).select_by_value(name)


def send(driver: Any, text: str) -> Any:
    """Sends a message; returns the assistant's message element it answers into."""
    from selenium.webdriver.common.by import By

    before = len(driver.find_elements(By.CSS_SELECTOR, "#messages .msg.assistant"))
    driver.find_element(By.ID, "prompt").send_keys(text)
    driver.find_element(By.ID, "send").click()
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages .msg.assistant")) > before)
    return driver.find_elements(By.CSS_SELECTOR, "#messages .msg.assistant")[-1]


def test_ui_chat_keys_and_spend(browser: Any, tmp_path: Path, mock: MockServer) -> None:
    from selenium.webdriver.common.by import By

    mock.stream_interval = 0.1  # the answer arrives token by token
    srv = proxy.start(write_config(tmp_path, mock), host="127.0.0.1", port=0)
    try:
        status, made = admin(
            srv, "POST", "/key/generate", {"key_alias": "ui-test-key", "models": ["gpt"], "max_budget": 5}
        )
        assert status == 200, made
        virtual = made["key"]
        browser.get(f"http://127.0.0.1:{srv.port}/ui")
        assert browser.title == "litellm-rs proxy"

        # the keys view, with the master key: the key made above, by alias and display name
        use_key(browser, MASTER)
        browser.find_element(By.ID, "tab-keys").click()
        until(browser, lambda d: "ui-test-key" in text_of(d, "keys-table"), message="key not listed")
        row = text_of(browser, "keys-table")
        assert made["key_name"] in row and "$5.00" in row and "gpt" in row, row
        assert browser.find_elements(By.CSS_SELECTOR, "#keys-chart svg rect.bar")

        # a chat round trip with the virtual key (the ledger records virtual keys' calls)
        use_key(browser, virtual)
        browser.find_element(By.ID, "tab-chat").click()
        pick_model(browser, "gpt")
        answer = send(browser, "Say hello")
        seen: set[str] = set()

        def finished(_: Any) -> bool:
            seen.add(answer.find_element(By.CLASS_NAME, "text").text)
            return "pending" not in (answer.get_attribute("class") or "")

        until(browser, finished, message="no answer")
        text = answer.find_element(By.CLASS_NAME, "text").text
        assert text == mock.chat_text
        # rendered as it streamed: the page showed parts of the answer before all of it
        assert any(0 < len(s) < len(mock.chat_text) for s in seen), seen
        assert "gpt" in answer.find_element(By.CLASS_NAME, "meta").text
        sent = mock.last.body
        assert sent["stream"] is True and sent["messages"] == [{"role": "user", "content": "Say hello"}]
        user = browser.find_elements(By.CSS_SELECTOR, "#messages .msg.user")[-1]
        assert user.find_element(By.CLASS_NAME, "text").text == "Say hello"

        # a second turn carries the conversation
        mock.stream_interval = 0.0
        answer = send(browser, "And again")
        until(browser, lambda _: "pending" not in (answer.get_attribute("class") or ""))
        assert [m["content"] for m in mock.last.body["messages"]] == ["Say hello", mock.chat_text, "And again"]

        # a rejection (a model the key may not call) reads as the error's message
        pick_model(browser, "instruct")
        answer = send(browser, "hi")
        until(browser, lambda _: "error" in (answer.get_attribute("class") or ""), message="no error shown")
        assert "not allowed to access model" in answer.find_element(By.CLASS_NAME, "meta").text
        # the key itself is never in the page
        assert virtual not in browser.page_source and MASTER not in browser.page_source

        # the spend view, with the master key: the calls, a total and the charts
        use_key(browser, MASTER)
        browser.find_element(By.ID, "tab-spend").click()
        deadline = time.monotonic() + 10
        while text_of(browser, "spend-table").count("success") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the ledger writes in batches: ask again
            browser.find_element(By.ID, "spend-refresh").click()
        calls = browser.find_elements(By.CSS_SELECTOR, "#spend-table tbody tr")
        assert len(calls) == 2, text_of(browser, "spend-table")
        assert "gpt" in calls[0].text and made["token"][:11] in calls[0].text
        assert text_of(browser, "spend-total").startswith("$0.0")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#spend-by-day svg rect.bar")) == 30
        model_labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#spend-by-model svg text")]
        assert "gpt" in model_labels, model_labels

        # no script errors (the refused call's 401 is the only failed load)
        errors = [
            e["message"]
            for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "401 (Unauthorized)" not in e["message"]
        ]
        assert not errors, errors
    finally:
        srv.shutdown()
        srv.wait(10)
