"""The harness itself: a real interaction is deferred and followed up as Discord expects."""

from tests.bot_harness import APP_ID, Harness


def test_the_harness_records_a_deferral_for_a_real_interaction(harness_for):
    async def scenario(h: Harness):
        calls = await h.slash("ask", {"question": "Who is the librarian of the city library?"})
        return calls

    calls = harness_for(scenario)
    _, interactions, interaction_id, token, callback = calls[0].path.split("/")
    assert (interactions, callback) == ("interactions", "callback") and calls[0].payload["type"] == 5
    assert token.startswith("token-") and interaction_id != token.removeprefix("token-")
    # The answer follows up on the same interaction: the application's webhook with its token.
    assert calls[1].method == "POST" and calls[1].path == f"/webhooks/{APP_ID}/{token}"
