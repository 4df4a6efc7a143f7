"""Device emulators that speak real protocols over pseudo-terminals: a MLPerf Tiny DUT, an LPM01A."""
