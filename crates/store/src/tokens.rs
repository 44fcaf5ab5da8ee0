//! Integrator tokens: stored hashed, checked on every machine request.
