import pytest

from aggregator.errors import ConfigError
from tests.conftest import EMPTY


def test_no_connector_configured_is_refused_not_reported_as_no_data(run_export):
    with pytest.raises(ConfigError, match="no connector is configured"):
        run_export(EMPTY, vendors=[])


def test_only_naming_unconfigured_connectors_is_refused(run_export):
    with pytest.raises(ConfigError, match="no selected connector is configured"):
        run_export(EMPTY, vendors=["lightspeed"], only=["mailchimp"])
