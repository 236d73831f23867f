"""Registration: the async "username taken" check, redisplay of what was typed, and its order."""

from __future__ import annotations

import re


def field_error(body: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" data-for="{name}">([^<]*)</p>', body)
    return match.group(1) if match else None


def test_a_taken_username_is_refused_next_to_its_field(  # type: ignore[no-untyped-def]
    live, client, new_client, register_user, solve_captcha
) -> None:
    assert register_user(live, client, "alice").status in (200, 302)
    other = new_client(live)
    page = other.get("/register").body
    response = other.post(
        "/register",
        {
            "username": "alice",
            "email": "second@example.com",
            "password": "another horse battery",
            "confirm": "another horse battery",
            **solve_captcha(live, page),
        },
    )
    assert response.status == 400
    assert field_error(response.body, "username") == "That username is taken."
    # What was typed comes back, from form.submitted; the passwords never do.
    assert 'name="username" type="text" value="alice"' in response.body
    assert 'value="second@example.com"' in response.body
    assert "another horse battery" not in response.body


def test_the_name_check_waits_for_the_captcha(  # type: ignore[no-untyped-def]
    live, client, new_client, register_user
) -> None:
    """Without a right answer nothing else is checked, so the form tells a script nothing."""
    register_user(live, client, "bob")
    other = new_client(live)
    page = other.get("/register").body
    token = re.search(r'name="captcha.challenge" value="([^"]+)"', page)
    assert token
    response = other.post(
        "/register",
        {
            "username": "bob",
            "email": "x",
            "password": "p",
            "confirm": "q",
            "captcha.challenge": token.group(1),
            "captcha.answer": "wrong",
        },
    )
    assert response.status == 400
    assert field_error(response.body, "captcha")
    assert field_error(response.body, "username") is None  # not "taken": the lookup never ran
    assert field_error(response.body, "email") is None
    assert 'name="username" type="text" value="bob"' in response.body  # still re-filled


def test_a_chinese_visitor_reads_the_check_in_chinese(  # type: ignore[no-untyped-def]
    live, client, new_client, register_user, solve_captcha
) -> None:
    register_user(live, client, "carol")
    other = new_client(live)
    page = other.get("/register", **{"Accept-Language": "zh-CN"}).body
    response = other.post(
        "/register",
        {
            "username": "carol",
            "email": "c2@example.com",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
            **solve_captcha(live, page),
        },
        **{"Accept-Language": "zh-CN"},
    )
    assert field_error(response.body, "username") == "该用户名已被使用。"


def test_the_site_codes_are_worded_from_the_catalog(live, client, solve_captcha) -> None:  # type: ignore[no-untyped-def]
    """The demo's own "passwords_differ" code, added with add_catalog, in each language."""
    for language, message in (("en-US", "The passwords do not match."), ("zh-CN", "两次输入的密码不一致。")):
        page = client.get("/register", **{"Accept-Language": language}).body
        response = client.post(
            "/register",
            {
                "username": "dora",
                "email": "dora@example.com",
                "password": "correct horse battery",
                "confirm": "correct horse battery!",
                **solve_captcha(live, page),
            },
            **{"Accept-Language": language},
        )
        assert field_error(response.body, "confirm") == message
