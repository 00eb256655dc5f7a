//! The generated decoders on arbitrary parameters: the first byte picks one of the 193
//! operations, the rest is a form body. Decoding (through `dispatch`, to a handler that
//! serves nothing) never panics and ends in a validation error in AWS's wording or, for
//! a valid input, the operation's NotImplemented.
#![no_main]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use iamd_protocol::{dispatch, Handler, Invalid, Operation, Params};
use libfuzzer_sys::fuzz_target;

struct ServesNothing;

impl Handler for ServesNothing {
    type Context = ();
    type Error = Invalid;
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let op = Operation::ALL[usize::from(pick) % Operation::ALL.len()];
    let Ok(params) = Params::parse(body) else {
        return;
    };
    let future = dispatch(&ServesNothing, &(), op, &params, "rid");
    let mut future = std::pin::pin!(future);
    // Nothing here waits: the defaults answer at once.
    let Poll::Ready(result) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    else {
        panic!("dispatch to a handler that serves nothing did not finish at once");
    };
    match result {
        Ok(_) => panic!("{} has no body but answered", op.name()),
        Err(Invalid::NotImplemented(name)) => assert_eq!(name, op.name()),
        Err(Invalid::Validation(message)) => assert!(
            message.starts_with("1 validation error detected: Value")
                || message.contains(" validation errors detected: Value"),
            "{message}"
        ),
    }
});
