"""KIE test data shared by the client tests (tests/shared/kie) and the emulator tests."""
