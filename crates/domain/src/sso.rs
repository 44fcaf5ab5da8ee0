//! Single sign-on through the head office's OAuth 2.0 platform (types shared with the frontend).
