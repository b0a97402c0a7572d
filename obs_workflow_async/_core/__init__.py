"""The neutral core both APIs are built on: options, the client core (lifecycle and
the one typed call), paging, polling and the batch and settle engines. Nothing here
names an API: each API supplies its dialect and the small protocols the engines use."""
