"""Campaign pages: the command center's (``manage``) and the grid worker's phone pages
(``field``). Thin: reads from ``campaigns.selectors``, writes through the services."""
