"""Reports: figures (pure), data gathering from the audit database, bulletin / summary rendering
(Markdown, HTML, PNG charts), ledger export (CSV, XLSX). matplotlib and openpyxl are imported only
inside the functions that need them, never when the CLI starts."""
