"""Imports every module that declares tables, so SQLModel.metadata holds the whole schema
(used by the migration environment and by the schema tests)."""

import store.account_models  # noqa: F401
import store.campaign_models  # noqa: F401
import store.directory_models  # noqa: F401
import store.inspection_models  # noqa: F401
import store.models  # noqa: F401
import store.notify_models  # noqa: F401
import store.project_models  # noqa: F401
import store.rating_models  # noqa: F401
import store.standards  # noqa: F401
