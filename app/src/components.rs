mod layout;
mod messages;

pub use layout::{ConsoleLayout, LanguageSwitch};
pub use messages::{FieldMessage, FormMessage};
