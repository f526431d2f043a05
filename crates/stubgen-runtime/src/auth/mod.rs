//! What the authentication hook sees of a request, and the credentials it may read: bearer
//! tokens, and those of every security scheme type OpenAPI 3.0 declares.

mod bearer;
mod head;
mod schemes;

pub use bearer::BearerAuth;
pub use head::RequestHead;
pub use schemes::{Credential, KeyLocation, Scheme, SchemeUse};
