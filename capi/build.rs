//! Gives the Linux shared library its SONAME, as cargo-c does: for a 0.y
//! version `libconfpass.so.0.y` (a 0.y release may break the ABI), from 1.0
//! on `libconfpass.so.MAJOR`. scripts/build-capi.sh installs the file under
//! that name with the usual links.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let soname = if major == "0" {
        format!("libconfpass.so.0.{minor}")
    } else {
        format!("libconfpass.so.{major}")
    };
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
