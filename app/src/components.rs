mod app_header;
mod layout;
mod messages;
mod push_chart;
mod reach_funnel;

pub use app_header::{AppHeader, AppTab};
pub use layout::{ConsoleLayout, LanguageSwitch};
pub use messages::{FieldMessage, FormMessage};
pub use push_chart::PushChart;
pub use reach_funnel::ReachFunnel;
