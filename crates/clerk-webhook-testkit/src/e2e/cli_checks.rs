//! The `clerk-webhook` CLI against the running example: send, check and soak.

use super::server::Server;
use crate::TEST_SECRET;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

pub(super) fn cli_send_of_every_event_type_gets_200(server: &Server) {
    use clerk_webhook_cli::send::{self, Payload, SendPlan};
    let deliverer = clerk_webhook_cli::Deliverer::new(&server.url()).unwrap();
    let payloads: Vec<Payload> = clerk_webhook_core::EVENT_TYPES
        .iter()
        .map(|event_type| Payload::sample(event_type).unwrap())
        .collect();
    let plan = SendPlan {
        count: payloads.len(),
        payloads,
        concurrency: 4,
        progress: false,
        fresh_ids: false,
    };
    let signer = crate::deliveries::verifier(TEST_SECRET);
    let report = block_on(send::run(&deliverer, &signer, &plan)).unwrap();
    assert_eq!(report.deliveries.len(), 46);
    assert!(report.all_succeeded(), "{}", report.summary());
}

pub(super) fn cli_check_passes_every_case(server: &Server) {
    let deliverer = clerk_webhook_cli::Deliverer::new(&server.url()).unwrap();
    let signer = crate::deliveries::verifier(TEST_SECRET);
    let rows = block_on(clerk_webhook_cli::check::run(&deliverer, &signer)).unwrap();
    assert!(
        rows.iter().all(|row| row.passed),
        "{}",
        clerk_webhook_cli::check::table(&rows)
    );
}

pub(super) fn cli_soak_of_2000_mixed_deliveries_passes(server: &Server) {
    use clerk_webhook_cli::soak::{self, SoakPlan};
    let deliverer = clerk_webhook_cli::Deliverer::new(&server.url()).unwrap();
    let signer = crate::deliveries::verifier(TEST_SECRET);
    let plan = SoakPlan {
        count: 2_000,
        concurrency: 16,
        // Memory is judged by scripts/soak.sh over 100,000; 2,000 is still warm-up.
        pid: None,
    };
    let report = block_on(soak::run(&deliverer, &signer, &plan)).unwrap();
    assert_eq!(report.total(), 2_000);
    assert!(report.passed(), "{}", report.summary());
}

pub(super) fn dev_delivers_every_event_type_on_the_first_attempt(server: &Server) {
    use clerk_webhook_dev::{LocalSvix, MessageStatus};

    let messages = block_on(async {
        let svix = LocalSvix::builder()
            .endpoint(server.url())
            .secret(TEST_SECRET)
            .start()
            .await
            .unwrap();
        let mut ids = Vec::new();
        for event_type in clerk_webhook_core::EVENT_TYPES {
            ids.push(svix.send_example(event_type).await.unwrap());
        }
        let mut messages = Vec::new();
        for id in &ids {
            let settled = svix.wait_settled(id, std::time::Duration::from_secs(30));
            messages.push(settled.await.unwrap());
        }
        messages
    });
    assert_eq!(messages.len(), 46);
    for message in messages {
        let codes: Vec<_> = message.attempts.iter().map(|a| a.status_code).collect();
        assert_eq!(
            (message.status, codes.as_slice()),
            (MessageStatus::Succeeded, [Some(200)].as_slice()),
            "{:?}: {:?}",
            message.event_type,
            message.attempts
        );
    }
}
