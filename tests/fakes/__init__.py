"""In-memory ports with the same conditional semantics as the adapters, one module per
port (tests/contract runs the same tests on each fake and on its adapter), and World, a
whole world of them."""
