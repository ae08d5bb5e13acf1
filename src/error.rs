//! The core's errors: a hand-written enum whose messages are `cookie@1`'s, with no `format!`.

/// What went wrong while serialising a cookie. The message of each is exactly the one
/// `cookie@1` puts before `": <value>"` in its `TypeError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u32)]
pub enum Error {
    /// The cookie name is not a token (`argument name is invalid`).
    Name = 0,
    /// The (encoded) value holds a character a cookie value may not (`argument val is invalid`).
    Value = 1,
    /// `maxAge` is not an integer (`option maxAge is invalid`).
    MaxAge = 2,
    /// `domain` is not a domain (`option domain is invalid`).
    Domain = 3,
    /// `path` holds a control character or `;` (`option path is invalid`).
    Path = 4,
    /// `expires` is not a valid date (`option expires is invalid`).
    Expires = 5,
    /// `priority` is not low, medium or high (`option priority is invalid`).
    Priority = 6,
    /// `sameSite` is not true, strict, lax or none (`option sameSite is invalid`).
    SameSite = 7,
}

impl Error {
    /// The error's message, without the offending value.
    pub fn as_str(self) -> &'static str {
        match self {
            Error::Name => "argument name is invalid",
            Error::Value => "argument val is invalid",
            Error::MaxAge => "option maxAge is invalid",
            Error::Domain => "option domain is invalid",
            Error::Path => "option path is invalid",
            Error::Expires => "option expires is invalid",
            Error::Priority => "option priority is invalid",
            Error::SameSite => "option sameSite is invalid",
        }
    }

    /// The error with this discriminant; out-of-range indexes map to [`Error::Value`].
    pub fn from_index(i: u32) -> Error {
        match i {
            0 => Error::Name,
            2 => Error::MaxAge,
            3 => Error::Domain,
            4 => Error::Path,
            5 => Error::Expires,
            6 => Error::Priority,
            7 => Error::SameSite,
            _ => Error::Value,
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn index_round_trips() {
        for i in 0..8 {
            assert_eq!(Error::from_index(i) as u32, i);
        }
    }
}
