//! `pushdesk [serve]`, `pushdesk admin create <username> [--role R]` (password on stdin),
//! `pushdesk token create <username> [--name N]` (prints the token).

use app::api::{AuthBackend, TokensBackend};
use std::io::BufRead;

use anyhow::{Context, bail};
use app::domain::{Role, UserView, Username};

use crate::config::Settings;
use crate::startup;
use crate::store;

const USAGE: &str = "usage:
  pushdesk [serve]
  pushdesk admin create <username> [--role owner|admin|developer|viewer]   (password on stdin)
  pushdesk token create <username> [--name <label>]                        (prints the token)";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    CreateUser { username: String, role: String },
    CreateToken { username: String, name: String },
}

impl Command {
    pub fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let args: Vec<String> = args.into_iter().collect();
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let option = |name: &str, rest: &[&str], default: &str| -> anyhow::Result<String> {
            match rest {
                [] => Ok(default.to_owned()),
                [flag, value] if *flag == name => Ok((*value).to_owned()),
                _ => bail!("unexpected arguments {rest:?}\n{USAGE}"),
            }
        };
        match words.as_slice() {
            [] | ["serve"] => Ok(Self::Serve),
            ["admin", "create", username, rest @ ..] => Ok(Self::CreateUser {
                username: (*username).to_owned(),
                role: option("--role", rest, "owner")?,
            }),
            ["token", "create", username, rest @ ..] => Ok(Self::CreateToken {
                username: (*username).to_owned(),
                name: option("--name", rest, "cli")?,
            }),
            ["help" | "--help" | "-h"] => {
                println!("{USAGE}");
                std::process::exit(0)
            }
            _ => bail!("unknown command\n{USAGE}"),
        }
    }
}

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let (db, services) =
        startup::services(&settings, settings.addr, crate::clock::Clock::system()).await?;
    match command {
        Command::Serve => unreachable!("serve is handled by main"),
        Command::CreateUser { username, role } => {
            let role = Role::parse(&role)
                .map_err(|e| anyhow::anyhow!("{}", e.message(Default::default())))?;
            let password = read_password()?;
            let user = services
                .create_user_from_shell(&username, &password, role)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message(app::i18n::Locale::En)))?;
            println!("created {} ({})", user.username, user.role);
        }
        Command::CreateToken { username, name } => {
            let name_ok = Username::parse(&username)
                .map_err(|e| anyhow::anyhow!("{}", e.message(app::i18n::Locale::En)))?;
            let row = store::users::by_username(&db.pool, name_ok.as_str())
                .await?
                .with_context(|| format!("no console user named {username}"))?;
            let user: UserView = services
                .active_user(row.id)
                .await
                .map_err(|_| anyhow::anyhow!("{username} is disabled"))?;
            let token = services
                .create_token(&user, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message(app::i18n::Locale::En)))?;
            println!("{}", token.token);
        }
    }
    Ok(())
}

/// The first line of stdin (a terminal prompt would echo; scripts pipe it in).
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on stdin (e.g. `echo 'a long password' | pushdesk admin create alice`)");
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> anyhow::Result<Command> {
        Command::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse("").unwrap(), Command::Serve);
        assert_eq!(parse("serve").unwrap(), Command::Serve);
        assert_eq!(
            parse("admin create alice").unwrap(),
            Command::CreateUser {
                username: "alice".into(),
                role: "owner".into()
            }
        );
        assert_eq!(
            parse("admin create bob --role viewer").unwrap(),
            Command::CreateUser {
                username: "bob".into(),
                role: "viewer".into()
            }
        );
        assert_eq!(
            parse("token create alice").unwrap(),
            Command::CreateToken {
                username: "alice".into(),
                name: "cli".into()
            }
        );
        assert!(parse("admin create bob --colour red").is_err());
        assert!(parse("frobnicate").is_err());
    }
}
