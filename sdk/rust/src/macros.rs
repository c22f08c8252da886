//! The registration macro. abi/sdk_rust_test.go reads the `extern "C" fn`
//! lines below and checks them against abi.Exports.

/// plugin! registers a plugin's [`Handler`](crate::Handler) and emits the
/// socklet ABI v1 exports. Use it once, at the top level of the cdylib:
///
/// ```ignore
/// #[derive(Default)]
/// struct Echo;
/// impl socklet::Handler for Echo { /* ... */ }
/// socklet::plugin!(Echo::default());
/// ```
///
/// The expression is evaluated once per instance, lazily, at the first event,
/// and the handler lives in a static for the instance's life. Every event
/// export is emitted; the trait's defaults make the unused ones no-ops (so an
/// instance replaced by a reload resumes its connections, see
/// [`Handler::on_resume`](crate::Handler::on_resume)).
#[macro_export]
macro_rules! plugin {
    ($init:expr) => {
        const _: () = {
            fn __socklet_init() -> $crate::__rt::Boxed {
                $crate::__rt::boxed($init)
            }

            #[no_mangle]
            pub extern "C" fn socklet_abi_v1() {}

            #[no_mangle]
            pub extern "C" fn socklet_alloc(size: usize) -> *mut u8 {
                $crate::__rt::alloc(size)
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_open(conn: i64) -> i32 {
                $crate::__rt::with_handler(__socklet_init, |h| $crate::__rt::open(h, conn))
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_text(conn: i64, ptr: *const u8, len: usize) {
                $crate::__rt::with_handler(__socklet_init, |h| unsafe {
                    $crate::__rt::text(h, conn, ptr, len)
                })
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_binary(conn: i64, ptr: *const u8, len: usize) {
                $crate::__rt::with_handler(__socklet_init, |h| unsafe {
                    $crate::__rt::binary(h, conn, ptr, len)
                })
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_pong(conn: i64, ptr: *const u8, len: usize) {
                $crate::__rt::with_handler(__socklet_init, |h| unsafe {
                    $crate::__rt::pong(h, conn, ptr, len)
                })
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_close(conn: i64, code: i32, ptr: *const u8, len: usize) {
                $crate::__rt::with_handler(__socklet_init, |h| unsafe {
                    $crate::__rt::close(h, conn, code, ptr, len)
                })
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_timer(id: i64) {
                $crate::__rt::with_handler(__socklet_init, |h| $crate::__rt::timer(h, id))
            }

            #[no_mangle]
            pub extern "C" fn socklet_on_resume(conn: i64) {
                $crate::__rt::with_handler(__socklet_init, |h| $crate::__rt::resume(h, conn))
            }
        };
    };
}
