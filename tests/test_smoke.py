from tests.conftest import EMPTY


def test_no_connector_configured_says_we_hold_no_data(run_export):
    pkg = run_export(EMPTY, vendors=[])
    assert pkg.result.status == "complete"
    assert pkg.manifest["summary"]["no_data"] is True
    assert "We hold no data about niemand@example.org" in pkg.manifest["summary"]["statement"]
    assert "We hold no data" in pkg.zip.read("index.html").decode()
