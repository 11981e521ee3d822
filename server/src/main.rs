use server::{cli, config::Settings, startup::Application, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    server::install_tls_provider();
    let command = cli::Command::parse(std::env::args().skip(1))?;
    let settings = Settings::load()?;
    match command {
        cli::Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        other => cli::run(other, settings).await?,
    }
    Ok(())
}
