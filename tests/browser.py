"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium, for verify.html.

Under CI=true a missing browser is an error, never a skip (``make system-deps`` installs it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def browser_paths() -> tuple[str, str] | None:
    binary = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    return (binary, driver) if binary and driver else None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    paths = browser_paths()
    if paths is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("chromium and chromium-driver are required under CI (make system-deps installs them)")
        pytest.skip("chromium / chromium-driver not installed (make system-deps installs them)")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look anything up
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ledger-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=paths[1]))
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def browser_verdict(driver: Any, page: Path, chosen: Path, *, folder: bool = False) -> dict[str, Any]:
    """Open ``page`` from disk, choose the ZIP (or unpacked folder) in its picker, wait for the verdict."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.as_uri())
    driver.find_element(By.ID, "folder" if folder else "zip").send_keys(str(chosen))
    WebDriverWait(driver, 60).until(
        lambda d: d.find_element(By.ID, "verdict").get_attribute("data-state") in ("ok", "fail")
    )
    result: dict[str, Any] = driver.execute_script("return window.lastResult")
    result["text"] = driver.find_element(By.ID, "verdict").text
    return result
