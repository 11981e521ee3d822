mod layout;
mod messages;
mod push_chart;

pub use layout::{ConsoleLayout, LanguageSwitch};
pub use messages::{FieldMessage, FormMessage};
pub use push_chart::PushChart;
