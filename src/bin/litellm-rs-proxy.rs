//! The proxy as a standalone binary: `litellm-rs-proxy --config config.yaml --port 4000`
//! (`--model provider/model` serves one model; `--validate_config` checks and exits).

use std::process::ExitCode;
use std::sync::Arc;

use litellm_rs::proxy::{self, ProxyConfig, ProxyState};

fn arg(args: &[String], names: &[&str]) -> Option<String> {
    args.iter().position(|a| names.contains(&a.as_str())).and_then(|i| args.get(i + 1).cloned())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    eprintln!("litellm-rs proxy: stopping (finishing requests in flight)");
}

fn main() -> ExitCode {
    litellm_rs::transport::prefer_workers(litellm_rs::transport::cores());
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "litellm-rs-proxy --config config.yaml [--host 0.0.0.0] [--port 4000] | --model provider/model | --validate_config"
        );
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--detailed_debug" || a == "--debug") {
        litellm_rs::logging::set_level("DEBUG");
    }
    let config = match (arg(&args, &["--config", "-c"]), arg(&args, &["--model", "-m"])) {
        (Some(path), _) => proxy::config::load(&path),
        (None, Some(model)) => Ok(ProxyConfig::single_model(&model)),
        (None, None) => Err("pass --config <config.yaml> or --model <provider/model>".to_owned()),
    };
    let mut state = match config.and_then(|c| ProxyState::new(&c)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("invalid config: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.iter().any(|a| a == "--validate_config") {
        println!("config OK: {} model(s): {}", state.router.model_names().len(), state.router.model_names().join(", "));
        return ExitCode::SUCCESS;
    }
    let host = arg(&args, &["--host"]).unwrap_or_else(|| "0.0.0.0".into());
    let port = arg(&args, &["--port"]).unwrap_or_else(|| "4000".into());
    let rt = &litellm_rs::transport::core().rt;
    if let Err(e) = rt.block_on(state.connect_storage()) {
        eprintln!("litellm-rs proxy: {e}");
        return ExitCode::FAILURE;
    }
    let state = Arc::new(state);
    let result = rt.block_on(async move {
        state.router.start_background_health_checks();
        let listener = proxy::bind(&format!("{host}:{port}")).await?;
        eprintln!(
            "litellm-rs proxy: serving on http://{}",
            listener.local_addr().map(|a| a.to_string()).unwrap_or_default()
        );
        proxy::run(state, listener, shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("litellm-rs proxy: {e}");
            ExitCode::FAILURE
        }
    }
}
