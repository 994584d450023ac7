"""The local stack: crisis-pager on one machine with moto and a fake Twilio (no Docker, no AWS)."""
