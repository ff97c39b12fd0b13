//! The `polyq` binary: command line, configuration, wiring of store, service, dialects and
//! listeners, and graceful shutdown. The only crate that sees every other crate.

mod admin;
mod config;
mod serve;

use clap::{Parser, Subcommand};

// The request path allocates many small, short-lived buffers; glibc malloc was ~15% of the
// server's profile under load (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "polyq",
    version,
    about = "One queue server speaking Amazon SQS, Alibaba Cloud MNS and Azure Queue Storage"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server.
    Serve(config::ServeArgs),
    /// Load-test a queue server (polyq or any compatible one) through any dialect.
    Bench(polyq_bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench(args) => polyq_bench::main(args),
        Command::Serve(args) => {
            let settings = match config::Settings::resolve(args) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("polyq: {e:#}");
                    return std::process::ExitCode::from(2);
                }
            };
            serve::init_logging(&settings.log);
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("polyq: cannot start the async runtime: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve::run(settings)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("polyq: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}
