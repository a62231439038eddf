//! End-to-end browser tests of the cmdhunt page: harness (chromedriver, static server, dist build).
