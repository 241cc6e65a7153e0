"""What the command line prints and writes: terminal tables and progress (`terminal`, with rich), the
`evaluate` output formats (`writers`: table, JSON, CSV, OCSF, HTML, ASFF), and replayed events (`events`)."""
