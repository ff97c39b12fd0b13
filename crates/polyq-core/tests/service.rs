//! QueueService behaviour above the store: long polling, waking, shutdown, move tasks.
//! Waits use short real durations with generous margins; nothing asserts on elapsed time
//! beyond "it did not return early" and "it returned before a bound".

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use polyq_core::move_tasks::MoveTaskStatus;
use polyq_core::*;

fn service() -> Arc<QueueService> {
    Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(SystemClock),
    ))
}

fn msg(text: &str) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(text.as_bytes()),
        ..Default::default()
    }
}

fn wait(secs: u64) -> ReceiveOptions {
    ReceiveOptions {
        max_messages: 10,
        visibility_seconds: Some(30),
        wait: Some(Duration::from_secs(secs)),
        attempt_id: None,
    }
}

#[tokio::test]
async fn long_poll_wakes_on_send() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let s2 = s.clone();
    let waiter = tokio::spawn(async move { s2.receive("q", wait(20)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.send("q", vec![msg("hello")]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken")
        .unwrap();
    assert_eq!(got.len(), 1);
}

/// A lease answered late (a PostgreSQL lock or pool wait, a slow disk commit, after the clock
/// was read) has its messages' visibility timeout started again when it returns: SQS starts
/// it when the messages are returned, and a window eaten by the wait would let another
/// consumer have them at once. Real time: the visibility timeout is 2 s and the lease answers
/// 2.5 s late; the second receive follows at once.
#[tokio::test]
async fn a_late_lease_starts_the_visibility_timeout_when_it_returns() {
    let store = Arc::new(polyq_core::faults::FaultyStore::new(Arc::new(
        MemoryStore::new(),
    )));
    let s = QueueService::new(store.clone(), Arc::new(SystemClock));
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    s.send("q", vec![msg("once")]).await.unwrap();
    let opts = ReceiveOptions {
        max_messages: 10,
        visibility_seconds: Some(2),
        wait: None,
        attempt_id: None,
    };
    store.delay_leases(Duration::from_millis(2_500));
    let first = s.receive("q", opts.clone()).await.unwrap();
    store.delay_leases(Duration::ZERO);
    assert_eq!(first.len(), 1);
    assert!(first[0].visible_ms > s.now_ms(), "its window starts now");
    let second = s.receive("q", opts).await.unwrap();
    assert!(second.is_empty(), "handed out twice: {second:?}");
}

/// A service over a store whose leases can be made late, holding FIFO queue `q.fifo` with
/// `a1`, `a2` (group `a`) and `b1` (group `b`).
async fn slow_fifo() -> (Arc<polyq_core::faults::FaultyStore>, Arc<QueueService>) {
    let store = Arc::new(polyq_core::faults::FaultyStore::new(Arc::new(
        MemoryStore::new(),
    )));
    let s = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    s.create_queue("q.fifo", fifo).await.unwrap();
    let grouped = |body: &str, group: &str| NewMessage {
        group_id: Some(group.into()),
        dedup_id: Some(body.into()),
        ..msg(body)
    };
    s.send(
        "q.fifo",
        vec![grouped("a1", "a"), grouped("a2", "a"), grouped("b1", "b")],
    )
    .await
    .unwrap();
    (store, s)
}

/// A late lease whose message another consumer took meanwhile (its window, timed from before
/// the wait, ran out) does not hand it out again; on a FIFO queue neither the later messages
/// of its group (they are released), while other groups' messages are kept.
#[tokio::test]
async fn a_late_lease_drops_what_another_consumer_took_meanwhile() {
    let (store, s) = slow_fifo().await;
    let opts = |max: usize| ReceiveOptions {
        max_messages: max,
        visibility_seconds: Some(1),
        wait: None,
        attempt_id: None,
    };
    // Margins for a loaded machine: the slow lease's window ends 1 s after it, the other
    // receive comes 2.5 s after it, the slow lease answers 4 s after it.
    store.delay_leases(Duration::from_millis(4_000));
    let slow = {
        let s = s.clone();
        tokio::spawn(async move { s.receive("q.fifo", opts(10)).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    store.delay_leases(Duration::ZERO);
    let other = s.receive("q.fifo", opts(1)).await.unwrap();
    let bodies = |ms: &[Message]| -> Vec<String> {
        ms.iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect()
    };
    assert_eq!(
        bodies(&other),
        ["a1"],
        "the window of the slow lease ran out"
    );
    let slow = slow.await.unwrap();
    assert_eq!(
        bodies(&slow),
        ["b1"],
        "a1 is the other's, a2 waits behind it"
    );
}

/// A slow lease with a receive attempt id is not re-timed: a retry of the attempt (sent because
/// the answer was slow or lost) replays only messages whose visibility nobody changed, and
/// must get the same messages and receipts.
#[tokio::test]
async fn a_slow_lease_with_an_attempt_id_stays_replayable() {
    let (store, s) = slow_fifo().await;
    let opts = ReceiveOptions {
        max_messages: 2,
        visibility_seconds: Some(30),
        wait: None,
        attempt_id: Some("att-1".into()),
    };
    store.delay_leases(Duration::from_millis(400));
    let first = s.receive("q.fifo", opts.clone()).await.unwrap();
    store.delay_leases(Duration::ZERO);
    let retry = s.receive("q.fifo", opts).await.unwrap();
    let view = |ms: &[Message]| -> Vec<(String, Receipt)> {
        ms.iter()
            .map(|m| (String::from_utf8_lossy(&m.body).into_owned(), m.receipt()))
            .collect()
    };
    assert_eq!(view(&first).len(), 2);
    assert_eq!(
        view(&retry),
        view(&first),
        "the retry replays the slow answer"
    );
}

/// A FIFO receive with a `ReceiveRequestAttemptId` looks again and again under that id while
/// it waits: the passes that found nothing must not be remembered as the attempt's answer, or
/// the wait (and every retry within five minutes) would never get a message.
#[tokio::test]
async fn long_poll_with_an_attempt_id_gets_what_arrives() {
    let s = service();
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    s.create_queue("f.fifo", fifo).await.unwrap();
    let with_attempt = |secs| ReceiveOptions {
        attempt_id: Some("attempt-1".into()),
        ..wait(secs)
    };
    let s2 = s.clone();
    let waiter = tokio::spawn(async move { s2.receive("f.fifo", with_attempt(20)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let m = NewMessage {
        group_id: Some("g".into()),
        dedup_id: Some("1".into()),
        ..msg("late")
    };
    s.send("f.fifo", vec![m]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken by the send")
        .unwrap();
    assert_eq!(got.len(), 1, "the waiting receive got the message");
    let retry = s.receive("f.fifo", with_attempt(0)).await.unwrap();
    assert_eq!(
        retry.iter().map(Message::receipt).collect::<Vec<_>>(),
        got.iter().map(Message::receipt).collect::<Vec<_>>(),
        "a retry of the attempt gets the same message and receipt"
    );
}

#[tokio::test]
async fn long_poll_wakes_when_a_delete_frees_a_fifo_group() {
    let s = service();
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    s.create_queue("f.fifo", fifo).await.unwrap();
    let grouped = |text: &str| NewMessage {
        group_id: Some("g".into()),
        dedup_id: Some(text.into()),
        ..msg(text)
    };
    // Each waiter would sleep its 20 s otherwise: the group's lease ends by a delete, not by
    // running out. Both kinds of delete wake it.
    s.send(
        "f.fifo",
        vec![grouped("first"), grouped("second"), grouped("third")],
    )
    .await
    .unwrap();
    let mut held = s
        .receive(
            "f.fifo",
            ReceiveOptions {
                max_messages: 1,
                ..wait(0)
            },
        )
        .await
        .unwrap();
    for (leased_only, next) in [(false, "second"), (true, "third")] {
        let s2 = s.clone();
        let waiter = tokio::spawn(async move {
            s2.receive(
                "f.fifo",
                ReceiveOptions {
                    max_messages: 1,
                    ..wait(20)
                },
            )
            .await
            .unwrap()
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let receipt = [held[0].receipt()];
        let deleted = if leased_only {
            s.delete_leased("f.fifo", &receipt).await.unwrap()
        } else {
            s.delete("f.fifo", &receipt).await.unwrap()
        };
        assert!(deleted[0].is_ok());
        held = tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("woken by the delete")
            .unwrap();
        assert_eq!(held[0].body, Bytes::copy_from_slice(next.as_bytes()));
    }
}

#[tokio::test]
async fn long_poll_ends_empty_when_its_queue_is_deleted() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let s2 = s.clone();
    let waiter = tokio::spawn(async move { s2.receive("q", wait(20)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.delete_queue("q").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("released by the delete")
        .unwrap();
    assert_eq!(got.unwrap(), Vec::new());
    // A receive that starts after the delete still learns the queue is gone.
    assert!(matches!(
        s.receive("q", wait(1)).await,
        Err(CoreError::QueueNotFound(_))
    ));

    // A wait that spans a delete and a new queue under the name hears the new queue's sends.
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let s2 = s.clone();
    let waiter = tokio::spawn(async move { s2.receive("q", wait(20)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.delete_queue("q").await.unwrap();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    // Let the waiter look again (and find the new, empty queue) before the send.
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.send("q", vec![msg("to the new queue")]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken by the send to the new queue, or ended by the delete")
        .unwrap()
        .unwrap();
    // Either ending is right; hanging on to the forgotten notifier until the deadline is not.
    assert!(got.is_empty() || got[0].body == Bytes::from_static(b"to the new queue"));
}

/// A visibility timeout shortened (not to zero) while a receiver waits wakes it when the
/// message comes back, not when the old timeout would have ended (ElasticMQ's suite checks
/// this of SQS: long polls return messages "as soon as they become available"). Without the
/// wake the waiter sleeps to its 20 s deadline; the bound is 10 s, the message is due in 1 s.
#[tokio::test]
async fn long_poll_wakes_when_a_shortened_visibility_timeout_ends() {
    for through_update in [false, true] {
        let s = service();
        let receipt = one_leased_message(&s).await;
        let waiter = long_poll(&s, 20);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let change = shorten(receipt, 1);
        if through_update {
            // Azure's Update Message takes the same path.
            s.update_message("q", change, None).await.unwrap();
        } else {
            s.change_visibility("q", &[change]).await.unwrap()[0]
                .as_ref()
                .unwrap();
        }
        let got = tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("woken when the shortened timeout ended")
            .unwrap();
        assert_eq!(got.len(), 1, "through_update: {through_update}");
        assert_eq!(got[0].body, Bytes::from_static(b"back soon"));
    }
}

fn shorten(receipt: Receipt, seconds: u32) -> VisibilityChange {
    VisibilityChange {
        receipt,
        visibility_seconds: seconds,
        renew_receipt: false,
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
    }
}

/// Queue "q" of `s` holding one message, leased for 30 s: its receipt.
async fn one_leased_message(s: &QueueService) -> Receipt {
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    s.send("q", vec![msg("back soon")]).await.unwrap();
    s.receive("q", wait(0)).await.unwrap()[0].receipt()
}

/// A long poll of `secs` on queue "q", running.
fn long_poll(s: &Arc<QueueService>, secs: u64) -> tokio::task::JoinHandle<Vec<Message>> {
    let s = s.clone();
    tokio::spawn(async move { s.receive("q", wait(secs)).await.unwrap() })
}

/// Shortens the lease of `receipt` to `seconds`; the `short` poll ends empty and the `long`
/// one must get the message when it comes back (bound: `bound_secs`).
async fn shorten_and_expect_the_long_poll_woken(
    s: &QueueService,
    receipt: Receipt,
    seconds: u32,
    short: tokio::task::JoinHandle<Vec<Message>>,
    long: tokio::task::JoinHandle<Vec<Message>>,
    bound_secs: u64,
) {
    s.change_visibility("q", &[shorten(receipt, seconds)])
        .await
        .unwrap()[0]
        .as_ref()
        .unwrap();
    assert!(short.await.unwrap().is_empty());
    let got = tokio::time::timeout(Duration::from_secs(bound_secs), long)
        .await
        .expect("the 20 s poll woken when the message came back")
        .unwrap();
    assert_eq!(got.len(), 1);
}

/// Two receivers: the one planning to look first (its own 1 s deadline) leaves empty, the
/// other (20 s) must still be woken when the shortened timeout (2 s) ends: the latest plan,
/// not the earliest, decides whether a change wakes them.
#[tokio::test]
async fn a_shortened_timeout_wakes_the_receiver_planning_to_look_last() {
    let s = service();
    let receipt = one_leased_message(&s).await;
    let (short, long) = (long_poll(&s, 1), long_poll(&s, 20));
    tokio::time::sleep(Duration::from_millis(200)).await;
    shorten_and_expect_the_long_poll_woken(&s, receipt, 2, short, long, 10).await;
}

/// A receiver whose look is still on its way (a slow store: the look saw the message hidden
/// for 30 s) while another sleeps with an earlier plan must be woken by the change it missed.
#[tokio::test]
async fn a_receiver_between_its_look_and_its_sleep_is_woken_by_a_change_it_missed() {
    let store = Arc::new(polyq_core::faults::FaultyStore::new(Arc::new(
        MemoryStore::new(),
    )));
    let s = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
    let receipt = one_leased_message(&s).await;
    let short = long_poll(&s, 3);
    tokio::time::sleep(Duration::from_millis(200)).await;
    store.delay_leases(Duration::from_millis(1000));
    let long = long_poll(&s, 20);
    tokio::time::sleep(Duration::from_millis(200)).await;
    shorten_and_expect_the_long_poll_woken(&s, receipt, 4, short, long, 12).await;
}

/// A message sent with a delay while a receiver waits on the empty queue wakes it when the
/// delay ends (the receiver looked before the message existed and planned to its deadline).
#[tokio::test]
async fn a_delayed_send_wakes_a_waiting_receiver_when_its_delay_ends() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let s2 = s.clone();
    let waiter = tokio::spawn(async move { s2.receive("q", wait(20)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let delayed = NewMessage {
        delay_seconds: Some(2),
        ..msg("later")
    };
    s.send("q", vec![delayed]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken when the delay ended, not at the 20 s deadline")
        .unwrap();
    assert_eq!(got.len(), 1);
}

/// A receive that moves a message to the dead-letter queue wakes that queue's receivers.
#[tokio::test]
async fn a_dead_letter_move_wakes_the_dead_letter_queues_receivers() {
    let s = service();
    src_with_dlq(&s).await;
    s.send("src", vec![msg("poison")]).await.unwrap();
    let first = ReceiveOptions {
        visibility_seconds: Some(0),
        ..wait(0)
    };
    assert_eq!(s.receive("src", first).await.unwrap().len(), 1);
    let s2 = s.clone();
    let dlq_waiter = tokio::spawn(async move { s2.receive("dlq", wait(20)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The second receive is over maxReceiveCount 1: the message moves to the dead-letter queue.
    assert!(s.receive("src", wait(0)).await.unwrap().is_empty());
    let got = tokio::time::timeout(Duration::from_secs(10), dlq_waiter)
        .await
        .expect("woken by the move, not at the 20 s deadline")
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn long_poll_returns_empty_at_deadline_and_not_before() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let start = std::time::Instant::now();
    let got = s.receive("q", wait(1)).await.unwrap();
    assert!(got.is_empty());
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "returned early"
    );
}

#[tokio::test]
async fn long_poll_sees_a_delayed_message_become_visible() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let delayed = NewMessage {
        delay_seconds: Some(1),
        ..msg("later")
    };
    s.send("q", vec![delayed]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(15), s.receive("q", wait(10)))
        .await
        .expect("the timer must wake the waiter")
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn queue_default_wait_applies_when_none_is_given() {
    let s = service();
    let config = QueueConfig {
        receive_wait_seconds: 20,
        ..Default::default()
    };
    s.create_queue("q", config).await.unwrap();
    let s2 = s.clone();
    let waiter = tokio::spawn(async move {
        s2.receive(
            "q",
            ReceiveOptions {
                max_messages: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the queue's receive wait time makes it a long poll"
    );
    s.send("q", vec![msg("x")]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn shutdown_ends_long_polls() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let s2 = s.clone();
    let waiter = tokio::spawn(async move { s2.receive("q", wait(20)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.begin_shutdown();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("ended by shutdown")
        .unwrap();
    assert!(got.is_empty());
}

/// Queues `dlq` and `src`, whose messages go to `dlq` after one receive.
async fn src_with_dlq(s: &QueueService) {
    s.create_queue("dlq", QueueConfig::default()).await.unwrap();
    let redrive = RedrivePolicy {
        dead_letter_queue: "dlq".into(),
        max_receive_count: 1,
    };
    let config = QueueConfig {
        redrive: Some(redrive),
        ..Default::default()
    };
    s.create_queue("src", config).await.unwrap();
}

/// [`src_with_dlq`], `n` messages in `dlq`, and a task moving them to `src` at one a second.
async fn slow_redrive(s: &QueueService, n: usize) {
    src_with_dlq(s).await;
    s.send("dlq", (0..n).map(|i| msg(&format!("m{i}"))).collect())
        .await
        .unwrap();
    s.start_move_task("dlq", Some("src"), Some(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn move_task_redrives_and_completes() {
    let s = service();
    src_with_dlq(&s).await;
    s.send("src", (0..25).map(|i| msg(&format!("m{i}"))).collect())
        .await
        .unwrap();
    let once = ReceiveOptions {
        max_messages: 10,
        visibility_seconds: Some(0),
        ..Default::default()
    };
    for _ in 0..3 {
        s.receive("src", once.clone()).await.unwrap();
    }
    // Every further attempt moves what is over the limit.
    for _ in 0..5 {
        s.receive("src", once.clone()).await.unwrap();
    }
    assert_eq!(s.get_queue("dlq").await.unwrap().stats.visible, 25);
    assert_eq!(s.dead_letter_sources("dlq").await.unwrap()[0].name, "src");
    let handle = s.start_move_task("dlq", None, Some(100)).await.unwrap();
    assert!(
        matches!(
            s.start_move_task("dlq", None, None).await,
            Err(CoreError::Conflict(_))
        ) || {
            // The first task may already have finished on a fast machine.
            s.list_move_tasks("dlq", 1)[0].status == MoveTaskStatus::Completed
        }
    );
    for _ in 0..200 {
        if s.list_move_tasks("dlq", 1)[0].status == MoveTaskStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let task = s
        .list_move_tasks("dlq", 10)
        .into_iter()
        .find(|t| t.handle == handle)
        .unwrap();
    assert_eq!(task.status, MoveTaskStatus::Completed);
    assert_eq!((task.moved, task.to_move), (25, 25));
    assert_eq!(s.get_queue("src").await.unwrap().stats.visible, 25);
    assert!(matches!(
        s.cancel_move_task(&handle),
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        s.cancel_move_task("nope"),
        Err(CoreError::InvalidArgument(_))
    ));
}

/// A rate of one message a second is kept (AWS's test_move_task_with_throughput_limit expects
/// four messages to take at least 3 s). Tokio's clock is paused, so the test takes no real time.
#[tokio::test(start_paused = true)]
async fn move_task_keeps_a_rate_below_ten_a_second() {
    let s = service();
    slow_redrive(&s, 4).await;
    let moved = |s: &QueueService| s.list_move_tasks("dlq", 1)[0].moved;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(moved(&s), 3, "one at 0 s, 1 s and 2 s");
    // The fourth at 3 s, and the task is complete with it.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let task = &s.list_move_tasks("dlq", 1)[0];
    assert_eq!((task.moved, task.status), (4, MoveTaskStatus::Completed));
    assert_eq!(s.get_queue("src").await.unwrap().stats.visible, 4);
}

/// A queue deleted while a move task runs ends the task (FAILED, the queue does not exist),
/// and a queue made again under the name is left alone. Tokio's clock is paused.
#[tokio::test(start_paused = true)]
async fn a_move_task_ends_when_its_queue_is_deleted() {
    for gone in ["dlq", "src"] {
        let s = service();
        slow_redrive(&s, 4).await;
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(s.list_move_tasks("dlq", 1)[0].moved, 2);
        s.delete_queue(gone).await.unwrap();
        if gone == "dlq" {
            s.create_queue("dlq", QueueConfig::default()).await.unwrap();
        } else {
            s.create_queue("src", QueueConfig::default()).await.unwrap();
        }
        let before_dlq = s.get_queue("dlq").await.unwrap().stats.visible;
        tokio::time::sleep(Duration::from_millis(3_000)).await;
        let task = &s.list_move_tasks("dlq", 1)[0];
        assert_eq!(task.status, MoveTaskStatus::Failed, "{gone}");
        assert_eq!(
            task.failure_reason.as_deref(),
            Some(CoreError::QueueNotFound(gone.into()).to_string().as_str())
        );
        assert_eq!(task.moved, 2, "{gone}: nothing moved after the deletion");
        assert_eq!(s.get_queue("dlq").await.unwrap().stats.visible, before_dlq);
    }
}

/// The same when the deletion goes to the store past this node's service (another node of a
/// shared PostgreSQL store): the task notices within about a second.
#[tokio::test(start_paused = true)]
async fn a_move_task_ends_when_another_node_deletes_its_queue() {
    let store = Arc::new(MemoryStore::new());
    let s = QueueService::new(store.clone(), Arc::new(SystemClock));
    slow_redrive(&s, 6).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Real time passes too, so that the queue made again has another creation time.
    std::thread::sleep(Duration::from_millis(5));
    let now = s.now_ms();
    store.delete_queue("src").await.unwrap();
    store
        .create_queue("src", QueueConfig::default(), now)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let task = &s.list_move_tasks("dlq", 1)[0];
    assert_eq!(task.status, MoveTaskStatus::Failed);
    assert!(task.moved <= 3, "moved {} after the deletion", task.moved);
    assert_eq!(
        s.get_queue("src").await.unwrap().stats.visible,
        0,
        "nothing moved into the new queue of that name"
    );
}

#[tokio::test]
async fn move_task_without_a_known_source_fails() {
    let s = service();
    s.create_queue("dead", QueueConfig::default())
        .await
        .unwrap();
    let redrive = RedrivePolicy {
        dead_letter_queue: "dead".into(),
        max_receive_count: 1,
    };
    let config = QueueConfig {
        redrive: Some(redrive),
        ..Default::default()
    };
    s.create_queue("origin", config).await.unwrap();
    // Sent to the dead-letter queue directly: it has no source queue to go back to.
    s.send("dead", vec![msg("direct")]).await.unwrap();
    let handle = s.start_move_task("dead", None, None).await.unwrap();
    let mut task = None;
    for _ in 0..200 {
        let t = s.list_move_tasks("dead", 1).remove(0);
        if t.status != MoveTaskStatus::Running {
            task = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let task = task.expect("the task ended");
    assert_eq!(task.handle, handle);
    assert_eq!(task.status, MoveTaskStatus::Failed);
    assert_eq!(
        task.failure_reason.as_deref(),
        Some(move_tasks::COULD_NOT_DETERMINE_SOURCE)
    );
    assert_eq!(task.moved, 0);
    assert_eq!(
        s.get_queue("dead").await.unwrap().stats.visible,
        1,
        "the message stays where it was"
    );
}

#[tokio::test]
async fn manual_clock_drives_delay_visibility_dedup_and_expiry() {
    let clock = ManualClock::new(1_700_000_000_000);
    let s = QueueService::new(Arc::new(MemoryStore::new()), Arc::new(clock.clone()));
    let now_only = ReceiveOptions {
        max_messages: 10,
        visibility_seconds: Some(10),
        wait: Some(Duration::ZERO),
        attempt_id: None,
    };
    s.create_queue(
        "q",
        QueueConfig {
            retention_seconds: 120,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.send(
        "q",
        vec![NewMessage {
            delay_seconds: Some(5),
            ..msg("d")
        }],
    )
    .await
    .unwrap();
    assert!(s.receive("q", now_only.clone()).await.unwrap().is_empty());
    clock.advance_secs(5);
    let got = s.receive("q", now_only.clone()).await.unwrap();
    assert_eq!(got.len(), 1);
    clock.advance_secs(9);
    assert!(
        s.receive("q", now_only.clone()).await.unwrap().is_empty(),
        "still invisible"
    );
    clock.advance_secs(1);
    let again = s.receive("q", now_only.clone()).await.unwrap();
    assert_eq!(
        again[0].receive_count, 2,
        "redelivered after the visibility timeout"
    );
    clock.advance_secs(200);
    assert_eq!(
        s.get_queue("q").await.unwrap().stats,
        QueueStats::default(),
        "expired after retention"
    );

    s.create_queue(
        "f.fifo",
        QueueConfig {
            fifo: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let dup = || NewMessage {
        group_id: Some("g".into()),
        dedup_id: Some("d1".into()),
        ..msg("x")
    };
    s.send("f.fifo", vec![dup()]).await.unwrap();
    clock.advance_secs(299);
    assert!(
        s.send("f.fifo", vec![dup()]).await.unwrap()[0]
            .as_ref()
            .unwrap()
            .deduplicated
    );
    clock.advance_secs(2);
    assert!(
        !s.send("f.fifo", vec![dup()]).await.unwrap()[0]
            .as_ref()
            .unwrap()
            .deduplicated
    );
}

#[tokio::test]
async fn settings_live_in_an_internal_queue_made_on_first_use() {
    let s = service();
    let internal = s.internal();
    assert_eq!(internal.setting("~settings", "k").await.unwrap(), None);
    internal
        .set_setting("~settings", "k", "v1".into())
        .await
        .unwrap();
    internal
        .set_setting("~settings", "other", "x".into())
        .await
        .unwrap();
    internal
        .set_setting("~settings", "k", "v2".into())
        .await
        .unwrap();
    assert_eq!(
        internal.setting("~settings", "k").await.unwrap().as_deref(),
        Some("v2")
    );
    assert_eq!(
        internal
            .setting("~settings", "other")
            .await
            .unwrap()
            .as_deref(),
        Some("x")
    );
    assert_eq!(internal.setting("~settings", "none").await.unwrap(), None);
    assert!(s.list_queues("", None, 10).await.unwrap().is_empty());
    // A user's queue is never used for settings.
    s.create_queue("plain", QueueConfig::default())
        .await
        .unwrap();
    assert!(internal.setting("plain", "k").await.is_err());
    assert!(internal
        .set_setting("plain", "k", "v".into())
        .await
        .is_err());
}

#[tokio::test]
async fn internal_queues_are_listed_only_on_request() {
    let s = service();
    for name in ["a", "b"] {
        s.create_queue(name, QueueConfig::default()).await.unwrap();
    }
    for name in ["~mns-topic~t", "~other"] {
        s.internal()
            .create_queue(name, QueueConfig::default())
            .await
            .unwrap();
    }
    let names = |v: Vec<QueueInfo>| v.into_iter().map(|q| q.name).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_queues("", None, 100).await.unwrap()),
        ["a", "b"]
    );
    assert!(s.list_queues("~", None, 100).await.unwrap().is_empty());
    let internal = s.internal();
    assert_eq!(
        names(
            internal
                .list_queues("~mns-topic~", None, 100)
                .await
                .unwrap()
        ),
        ["~mns-topic~t"]
    );
    assert_eq!(
        names(internal.list_queues("~", None, 100).await.unwrap()),
        ["~mns-topic~t", "~other"]
    );
    // A prefix that is not internal is refused: the user's queues are not internal state.
    assert!(matches!(
        internal.list_queues("a", None, 100).await,
        Err(CoreError::InvalidArgument(_))
    ));
    // Dead-letter source listings never name internal queues either.
    let redrive_to_a = || QueueConfig {
        redrive: Some(RedrivePolicy {
            dead_letter_queue: "a".into(),
            max_receive_count: 3,
        }),
        ..QueueConfig::default()
    };
    s.create_queue("src", redrive_to_a()).await.unwrap();
    internal
        .create_queue("~internal-src", redrive_to_a())
        .await
        .unwrap();
    assert_eq!(names(s.dead_letter_sources("a").await.unwrap()), ["src"]);
}

/// Whatever a dialect checks, no call a user's request reaches touches an internal queue, and
/// the internal calls touch nothing else.
#[tokio::test]
async fn internal_queues_are_out_of_reach_of_the_user_facing_calls() {
    let s = service();
    let q = "~state";
    let internal = s.internal();
    internal
        .create_queue(q, QueueConfig::default())
        .await
        .unwrap();
    internal.send(q, vec![msg("kept")]).await.unwrap();
    let leased = internal.receive(q, wait(0)).await.unwrap();
    let receipt = leased[0].receipt();
    let hidden = |r: CoreResult<()>| matches!(r, Err(CoreError::QueueNotFound(_)));
    let change = VisibilityChange {
        receipt,
        visibility_seconds: 0,
        renew_receipt: false,
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
    };
    assert!(matches!(
        s.create_queue("~new", QueueConfig::default()).await,
        Err(CoreError::InvalidArgument(_))
    ));
    assert!(hidden(s.get_queue(q).await.map(drop)));
    assert!(hidden(s.delete_queue(q).await));
    assert!(hidden(
        s.update_queue(q, Box::new(|_| Ok(()))).await.map(drop)
    ));
    assert!(hidden(s.purge_queue(q).await.map(drop)));
    assert!(hidden(s.send(q, vec![msg("x")]).await.map(drop)));
    assert!(hidden(s.receive(q, wait(0)).await.map(drop)));
    assert!(hidden(s.peek(q, 10).await.map(drop)));
    assert!(hidden(s.get_message(q, &leased[0].id).await.map(drop)));
    assert!(hidden(s.delete(q, &[receipt]).await.map(drop)));
    assert!(hidden(s.delete_leased(q, &[receipt]).await.map(drop)));
    assert!(hidden(s.change_visibility(q, &[change]).await.map(drop)));
    assert!(hidden(s.update_message(q, change, None).await.map(drop)));
    assert!(hidden(s.dead_letter_sources(q).await.map(drop)));
    assert!(hidden(s.start_move_task(q, None, None).await.map(drop)));

    // Nothing was changed through them: the message is still leased, and only once.
    let info = internal.get_queue(q).await.unwrap();
    assert_eq!((info.stats.visible, info.stats.in_flight), (0, 1));
    assert_eq!(info.config, QueueConfig::default());

    // And the internal calls refuse a user's queue.
    s.create_queue("user", QueueConfig::default())
        .await
        .unwrap();
    let refused = |r: CoreResult<()>| matches!(r, Err(CoreError::InvalidArgument(_)));
    assert!(refused(internal.get_queue("user").await.map(drop)));
    assert!(refused(internal.delete_queue("user").await));
    assert!(refused(
        internal.send("user", vec![msg("x")]).await.map(drop)
    ));
    assert!(refused(internal.receive("user", wait(0)).await.map(drop)));
    assert!(refused(internal.delete_leased("user", &[]).await.map(drop)));
    assert!(refused(
        internal.change_visibility("user", &[]).await.map(drop)
    ));
    assert!(refused(
        internal
            .update_queue("user", Box::new(|_| Ok(())))
            .await
            .map(drop)
    ));
    assert!(s.get_queue("user").await.is_ok());
}
