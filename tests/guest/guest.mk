# Guest test programs: see tests/guest/README.md.
guests:
