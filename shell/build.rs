//! Embeds the renderer build: when `web/dist/index.html` exists, sets
//! `cfg(embedded_renderer)` and `renderer.rs` compiles `web/dist` into the
//! binary (`include_dir!`), so one `agent-shell` runs the whole product.
//! Without a build it only warns: the shell then needs `--renderer-dir` or
//! `--renderer-url` (or a `web/dist` on disk) at run time.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_renderer)");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&manifest_dir).join("../web/dist");
    if dist.join("index.html").is_file() {
        println!("cargo:rustc-cfg=embedded_renderer");
        // A directory is scanned as a whole: a new or removed asset reruns
        // this script and so re-expands `include_dir!`.
        println!("cargo:rerun-if-changed=../web/dist");
        println!("cargo:rerun-if-changed=../web/dist/index.html");
    } else {
        println!(
            "cargo:warning=the renderer is not embedded: no web/dist/index.html (run `npm --prefix web run build`, then build again)"
        );
        // Watch `web/` rather than the missing `web/dist`: cargo reruns a
        // build script on every build while a watched path is missing, and
        // that would recompile this crate each time. Creating `web/dist`
        // changes the tree below `web/`, which reruns this script.
        if Path::new(&manifest_dir).join("../web").is_dir() {
            println!("cargo:rerun-if-changed=../web");
        } else {
            println!("cargo:rerun-if-changed=../web/dist");
        }
    }
}
