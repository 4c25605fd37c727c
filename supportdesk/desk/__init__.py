"""The workspace and portal pages that combine several apps (a case with its billing, a plan
with its cases): above the domain apps, so each of those imports only downwards."""
