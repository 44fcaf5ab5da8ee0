//! Single sign-on: pending authorisation requests (state, PKCE verifier) and sign-in tickets.
