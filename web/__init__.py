"""The web console (工作台): the pages the people who act use — my tasks, measures with evidence uploads,
plan reviews, case timelines, the county dashboard — served by `pdca serve` / `pdca up` beside the HTTP
API, over the same service layer and credentials (docs/web.md)."""
