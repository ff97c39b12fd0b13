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

/// Turns transparent huge pages off for this process. mimalloc asks for them on its arenas, and
/// with the kernel's usual `madvise` setting khugepaged then refills pages mimalloc gave back:
/// after a large backlog drained, an idle server's RSS climbed back from 105 to 202 MB within
/// three minutes (a soak test; with THP off it stayed at 105 MB and fell to 34 MB). A failure
/// (an old kernel) changes nothing else.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

fn main() -> std::process::ExitCode {
    no_huge_pages();
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
