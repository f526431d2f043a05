//! A randomized model test: seeded random sequences of operations by three users against the
//! real server, each answer compared with a small in-test model of who owns which session and
//! device, what is active and what is trusted. After every step the store behind the API is
//! compared with the model too, so a 401 or 404 that still changed something is caught at once.
//!
//! Every response is validated against the spec by the app's proxy. A failure names its seed,
//! step and operation; `MODEL_SEED=<seed> cargo test -p contract-tests --test model` replays
//! that one case.

use contract_tests::both_backends;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use contract_tests::{SessionOptions, TestApp};
use rand::{RngExt as _, SeedableRng as _, rngs::StdRng, seq::IndexedRandom as _};
use sessions_client::{
    Error, ResponseValue,
    types::{self, TrustLevel},
};
use sessions_server::store::StoredTrust;

const USERS: [&str; 3] = ["ana", "ben", "cleo"];
/// The same few fingerprints for every user, so users often have devices with equal
/// fingerprints and a mix-up between them would show.
const FINGERPRINTS: [&str; 3] = ["fp-laptop", "fp-phone", "fp-tablet"];
/// A fingerprint no session is ever issued with.
const UNSEEN_FINGERPRINT: &str = "fp-never-issued";
const CASES: u64 = 40;
const STEPS: usize = 60;
const BASE_SEED: u64 = 0x5E55_1045;

const INVALID_TOKEN: &str = "Invalid or expired token";
const SESSION_NOT_FOUND: &str = "Session not found";
const SESSION_NOT_FOUND_OR_EXPIRED: &str = "Session not found or expired";
const DEVICE_NOT_FOUND: &str = "Device not found";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    Never,
    Until(DateTime<Utc>),
    Withdrawn,
}

impl Trust {
    fn from_stored(stored: StoredTrust) -> Self {
        match stored {
            StoredTrust::Unknown => Self::Never,
            StoredTrust::High { until } => Self::Until(until),
            StoredTrust::Low => Self::Withdrawn,
        }
    }

    /// `isTrusted`, `trustLevel` and `trustExpiresAt` as the API shows them (no trust in these
    /// tests lives long enough to expire).
    fn as_api(self) -> (bool, TrustLevel, Option<DateTime<Utc>>) {
        match self {
            Self::Never => (false, TrustLevel::Unknown, None),
            Self::Until(until) => (true, TrustLevel::High, Some(until)),
            Self::Withdrawn => (false, TrustLevel::Low, None),
        }
    }
}

#[derive(Debug)]
struct ModelSession {
    id: String,
    user: usize,
    device: String,
    token: String,
    active: bool,
    started_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug)]
struct ModelDevice {
    id: String,
    user: usize,
    fingerprint: &'static str,
    exists: bool,
    trust: Trust,
}

/// Every session and device ever created in one case, ended ones included.
#[derive(Debug, Default)]
struct Model {
    sessions: Vec<ModelSession>,
    devices: Vec<ModelDevice>,
}

/// What a listing shows of a session: when it started and when it expires.
type SessionTimes = BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)>;

impl Model {
    fn active_sessions_of(&self, user: usize) -> impl Iterator<Item = &ModelSession> {
        self.sessions
            .iter()
            .filter(move |session| session.user == user && session.active)
    }

    fn session_times<'a>(sessions: impl Iterator<Item = &'a ModelSession>) -> SessionTimes {
        sessions
            .map(|session| (session.id.clone(), (session.started_at, session.expires_at)))
            .collect()
    }

    fn existing_devices_of(&self, user: usize) -> impl Iterator<Item = &ModelDevice> {
        self.devices
            .iter()
            .filter(move |device| device.user == user && device.exists)
    }

    /// The caller's active session with this id: the only one it may revoke or heartbeat.
    fn callers_active_session(&mut self, caller: usize, id: &str) -> Option<&mut ModelSession> {
        self.sessions
            .iter_mut()
            .find(|session| session.id == id && session.user == caller && session.active)
    }

    /// The caller's existing device with this id: the only one it may see or change.
    fn callers_device(&mut self, caller: usize, id: &str) -> Option<&mut ModelDevice> {
        self.devices
            .iter_mut()
            .find(|device| device.id == id && device.user == caller && device.exists)
    }

    fn end_sessions_of_device(&mut self, device: &str) {
        for session in &mut self.sessions {
            if session.device == device {
                session.active = false;
            }
        }
    }
}

/// An id an operation is aimed at, and what it is to the caller (for coverage and messages).
#[derive(Debug, Clone)]
struct Target {
    id: String,
    kind: &'static str,
}

#[derive(Debug, Clone)]
enum Op {
    ListSessions,
    RevokeSession(Target),
    RevokeAll,
    Heartbeat(Target),
    ListDevices,
    DeviceDetails(Target),
    Trust {
        fingerprint: &'static str,
        kind: &'static str,
    },
    Untrust(Target),
    RemoveDevice(Target),
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Self::ListSessions => "list-sessions",
            Self::RevokeSession(_) => "revoke",
            Self::RevokeAll => "revoke-all",
            Self::Heartbeat(_) => "heartbeat",
            Self::ListDevices => "list-devices",
            Self::DeviceDetails(_) => "device-details",
            Self::Trust { .. } => "trust",
            Self::Untrust(_) => "untrust",
            Self::RemoveDevice(_) => "remove-device",
        }
    }

    fn target_kind(&self) -> &'static str {
        match self {
            Self::RevokeSession(target)
            | Self::Heartbeat(target)
            | Self::DeviceDetails(target)
            | Self::Untrust(target)
            | Self::RemoveDevice(target) => target.kind,
            Self::Trust { kind, .. } => kind,
            Self::ListSessions | Self::RevokeAll | Self::ListDevices => "-",
        }
    }
}

/// One API call: who calls, with which token, and whether the model says that token works.
#[derive(Debug)]
struct Call {
    caller: usize,
    token: String,
    token_active: bool,
    op: Op,
}

/// A random id nobody has.
fn unknown_id(rng: &mut StdRng) -> String {
    format!("unknown-{:016x}", rng.random::<u64>())
}

fn pick_token(rng: &mut StdRng, model: &Model, caller: usize) -> (String, bool) {
    let own: Vec<&ModelSession> = model
        .sessions
        .iter()
        .filter(|session| session.user == caller)
        .collect();
    let active: Vec<&ModelSession> = own.iter().copied().filter(|s| s.active).collect();
    // Mostly a working token, so most steps reach the operation; sometimes an ended one.
    let chosen = if !active.is_empty() && rng.random_bool(0.85) {
        active.choose(rng).copied()
    } else {
        own.choose(rng).copied()
    };
    match chosen {
        Some(session) => (session.token.clone(), session.active),
        None => (format!("never-issued-{:016x}", rng.random::<u64>()), false),
    }
}

fn pick_session(rng: &mut StdRng, model: &Model, caller: usize) -> Target {
    let own: Vec<&ModelSession> = model.sessions.iter().filter(|s| s.user == caller).collect();
    let others: Vec<&ModelSession> = model.sessions.iter().filter(|s| s.user != caller).collect();
    let roll = rng.random_range(0..10);
    let chosen = match roll {
        0..=5 => own.choose(rng).map(|session| {
            let kind = if session.active {
                "own-active"
            } else {
                "own-ended"
            };
            (session.id.clone(), kind)
        }),
        6..=8 => others
            .choose(rng)
            .map(|session| (session.id.clone(), "other-user")),
        _ => None,
    };
    let (id, kind) = chosen.unwrap_or_else(|| (unknown_id(rng), "unknown"));
    Target { id, kind }
}

fn pick_device(rng: &mut StdRng, model: &Model, caller: usize) -> Target {
    let own: Vec<&ModelDevice> = model.devices.iter().filter(|d| d.user == caller).collect();
    let others: Vec<&ModelDevice> = model.devices.iter().filter(|d| d.user != caller).collect();
    let roll = rng.random_range(0..10);
    let chosen = match roll {
        0..=5 => own.choose(rng).map(|device| {
            let kind = if device.exists {
                "own-existing"
            } else {
                "own-removed"
            };
            (device.id.clone(), kind)
        }),
        6..=8 => others
            .choose(rng)
            .map(|device| (device.id.clone(), "other-user")),
        _ => None,
    };
    let (id, kind) = chosen.unwrap_or_else(|| (unknown_id(rng), "unknown"));
    Target { id, kind }
}

fn pick_trust(rng: &mut StdRng, model: &Model, caller: usize) -> Op {
    let fingerprint = if rng.random_bool(0.1) {
        UNSEEN_FINGERPRINT
    } else {
        FINGERPRINTS.choose(rng).expect("fingerprints")
    };
    let has = |user: usize| {
        model
            .existing_devices_of(user)
            .any(|device| device.fingerprint == fingerprint)
    };
    let kind = if has(caller) {
        "own-existing"
    } else if (0..USERS.len()).any(|user| user != caller && has(user)) {
        "other-user-only"
    } else {
        "unknown"
    };
    Op::Trust { fingerprint, kind }
}

/// Either a session issued outside the API, or an API call by a random user.
enum Step {
    Issue {
        user: usize,
        fingerprint: &'static str,
    },
    Call(Call),
}

fn next_step(rng: &mut StdRng, model: &Model) -> Step {
    let roll = rng.random_range(0..100);
    if roll < 20 {
        return Step::Issue {
            user: rng.random_range(0..USERS.len()),
            fingerprint: FINGERPRINTS.choose(rng).expect("fingerprints"),
        };
    }
    let caller = rng.random_range(0..USERS.len());
    let (token, token_active) = pick_token(rng, model, caller);
    let op = match roll {
        20..=27 => Op::ListSessions,
        28..=39 => Op::RevokeSession(pick_session(rng, model, caller)),
        40..=42 => Op::RevokeAll,
        43..=53 => Op::Heartbeat(pick_session(rng, model, caller)),
        54..=61 => Op::ListDevices,
        62..=71 => Op::DeviceDetails(pick_device(rng, model, caller)),
        72..=83 => pick_trust(rng, model, caller),
        84..=91 => Op::Untrust(pick_device(rng, model, caller)),
        _ => Op::RemoveDevice(pick_device(rng, model, caller)),
    };
    Step::Call(Call {
        caller,
        token,
        token_active,
        op,
    })
}

/// What the server answered, typed by the generated client.
#[derive(Debug)]
enum Reply {
    Sessions(types::SessionsResponse),
    Message(types::MessageResponse),
    Heartbeat(types::HeartbeatResponse),
    Devices(types::DevicesResponse),
    Details(Box<types::DeviceDetailsResponse>),
    Trusted(types::TrustDeviceResponse),
    Failed(u16, String),
}

impl Reply {
    fn from<T>(
        result: Result<ResponseValue<T>, Error<types::ErrorResponse>>,
        wrap: fn(T) -> Reply,
        context: &str,
    ) -> Self {
        match result {
            Ok(value) => {
                assert_eq!(value.status().as_u16(), 200, "{context}");
                wrap(value.into_inner())
            }
            Err(Error::ErrorResponse(response)) => {
                let status = response.status().as_u16();
                let body = response.into_inner();
                assert!(!body.success, "{context}: an error body says success");
                Self::Failed(status, body.error)
            }
            Err(other) => panic!("{context}: not a documented answer: {other:?}"),
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::Failed(status, _) => *status,
            _ => 200,
        }
    }
}

async fn send(app: &TestApp, call: &Call, context: &str) -> Reply {
    let client = app.client(&call.token);
    match &call.op {
        Op::ListSessions => {
            Reply::from(client.get_sessions().send().await, Reply::Sessions, context)
        }
        Op::RevokeSession(target) => Reply::from(
            client.revoke_session().id(&target.id).send().await,
            Reply::Message,
            context,
        ),
        Op::RevokeAll => Reply::from(
            client.revoke_all_sessions().send().await,
            Reply::Message,
            context,
        ),
        Op::Heartbeat(target) => Reply::from(
            client.session_heartbeat().id(&target.id).send().await,
            Reply::Heartbeat,
            context,
        ),
        Op::ListDevices => Reply::from(client.get_devices().send().await, Reply::Devices, context),
        Op::DeviceDetails(target) => Reply::from(
            client.get_device_details().id(&target.id).send().await,
            |details| Reply::Details(Box::new(details)),
            context,
        ),
        Op::Trust { fingerprint, .. } => Reply::from(
            client
                .trust_device()
                .body(types::TrustDeviceRequest {
                    fingerprint: fingerprint.parse().expect("a valid fingerprint"),
                })
                .send()
                .await,
            Reply::Trusted,
            context,
        ),
        Op::Untrust(target) => Reply::from(
            client.untrust_device().id(&target.id).send().await,
            Reply::Message,
            context,
        ),
        Op::RemoveDevice(target) => Reply::from(
            client.remove_device().id(&target.id).send().await,
            Reply::Message,
            context,
        ),
    }
}

fn expect_failure(reply: &Reply, status: u16, error: &str, context: &str) {
    match reply {
        Reply::Failed(got_status, got_error) => assert_eq!(
            (*got_status, got_error.as_str()),
            (status, error),
            "{context}"
        ),
        other => panic!("{context}: expected {status} {error:?}, got {other:?}"),
    }
}

fn expect_message(reply: &Reply, message: &str, context: &str) {
    match reply {
        Reply::Message(body) => {
            assert!(body.success, "{context}");
            assert_eq!(body.message, message, "{context}");
        }
        other => panic!("{context}: expected 200 {message:?}, got {other:?}"),
    }
}

/// Opens a session outside the API and checks which device it landed on.
async fn issue(
    app: &TestApp,
    model: &mut Model,
    user: usize,
    fingerprint: &'static str,
    context: &str,
) -> &'static str {
    let options = SessionOptions {
        fingerprint: Some(fingerprint.to_owned()),
        ..SessionOptions::default()
    };
    let issued = app.issue_with(USERS[user], fingerprint, options).await;
    let record = &issued.record;
    assert_eq!(record.user_id, USERS[user], "{context}");
    let known = model
        .devices
        .iter()
        .find(|device| device.user == user && device.fingerprint == fingerprint && device.exists);
    let kind = match known {
        Some(device) => {
            assert_eq!(
                record.device_id, device.id,
                "{context}: a known fingerprint of the same user reuses its device"
            );
            "known-device"
        }
        None => {
            assert!(
                model
                    .devices
                    .iter()
                    .all(|device| device.id != record.device_id),
                "{context}: a new device, not one seen before (another user's or removed)"
            );
            let recreated = model
                .devices
                .iter()
                .any(|device| device.user == user && device.fingerprint == fingerprint);
            model.devices.push(ModelDevice {
                id: record.device_id.clone(),
                user,
                fingerprint,
                exists: true,
                trust: Trust::Never,
            });
            if recreated {
                "removed-device-again"
            } else {
                "new-device"
            }
        }
    };
    model.sessions.push(ModelSession {
        id: record.id.clone(),
        user,
        device: record.device_id.clone(),
        token: issued.token.clone(),
        active: true,
        started_at: record.started_at,
        expires_at: record.expires_at,
    });
    kind
}

/// Sends one call and checks its answer against the model, then applies its effect.
async fn perform(app: &TestApp, model: &mut Model, call: &Call, context: &str) -> Reply {
    let before = Utc::now();
    let reply = send(app, call, context).await;
    let after = Utc::now();
    if !call.token_active {
        expect_failure(&reply, 401, INVALID_TOKEN, context);
        return reply;
    }
    let caller = call.caller;
    match &call.op {
        Op::ListSessions => {
            let Reply::Sessions(body) = &reply else {
                panic!("{context}: expected the sessions, got {reply:?}");
            };
            assert!(body.success, "{context}");
            let listed: SessionTimes = body
                .sessions
                .iter()
                .map(|session| (session.id.clone(), (session.started_at, session.expires_at)))
                .collect();
            assert_eq!(
                listed,
                Model::session_times(model.active_sessions_of(caller)),
                "{context}: exactly the caller's active sessions"
            );
            assert_eq!(
                listed.len(),
                body.sessions.len(),
                "{context}: no duplicates"
            );
        }
        Op::RevokeSession(target) => match model.callers_active_session(caller, &target.id) {
            Some(session) => {
                expect_message(&reply, "Session revoked successfully", context);
                session.active = false;
            }
            None => expect_failure(&reply, 404, SESSION_NOT_FOUND, context),
        },
        Op::RevokeAll => {
            expect_message(&reply, "All sessions revoked successfully", context);
            for session in &mut model.sessions {
                if session.user == caller {
                    session.active = false;
                }
            }
        }
        Op::Heartbeat(target) => match model.callers_active_session(caller, &target.id) {
            Some(session) => {
                let Reply::Heartbeat(body) = &reply else {
                    panic!("{context}: expected a heartbeat, got {reply:?}");
                };
                assert!(body.success, "{context}");
                assert_eq!(body.message, "Session updated successfully", "{context}");
                // Bracketed by the clock before and after the call: sliding, capped, never shorter.
                let policy = app.policy.expiry;
                let cap = session.started_at + policy.absolute_lifetime;
                let bound = |now: DateTime<Utc>| {
                    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).expect("now");
                    session.expires_at.max((now + policy.sliding_ttl).min(cap))
                };
                assert!(
                    bound(before) <= body.new_expiry && body.new_expiry <= bound(after),
                    "{context}: newExpiry {} outside [{}, {}]",
                    body.new_expiry,
                    bound(before),
                    bound(after)
                );
                session.expires_at = body.new_expiry;
            }
            None => expect_failure(&reply, 404, SESSION_NOT_FOUND_OR_EXPIRED, context),
        },
        Op::ListDevices => {
            let Reply::Devices(body) = &reply else {
                panic!("{context}: expected the devices, got {reply:?}");
            };
            assert!(body.success, "{context}");
            let listed: BTreeMap<_, _> = body
                .devices
                .iter()
                .map(|device| {
                    let trust = (
                        device.is_trusted,
                        device.trust_level,
                        device.trust_expires_at,
                    );
                    (device.id.clone(), trust)
                })
                .collect();
            let expected: BTreeMap<_, _> = model
                .existing_devices_of(caller)
                .map(|device| (device.id.clone(), device.trust.as_api()))
                .collect();
            assert_eq!(listed, expected, "{context}: exactly the caller's devices");
            assert_eq!(listed.len(), body.devices.len(), "{context}: no duplicates");
        }
        Op::DeviceDetails(target) => {
            let Some(device) = model.callers_device(caller, &target.id) else {
                expect_failure(&reply, 404, DEVICE_NOT_FOUND, context);
                return reply;
            };
            let (fingerprint, trust) = (device.fingerprint, device.trust);
            let Reply::Details(body) = &reply else {
                panic!("{context}: expected the device, got {reply:?}");
            };
            let details = &body.device;
            assert!(body.success, "{context}");
            assert_eq!(details.id, target.id, "{context}");
            assert_eq!(details.device_fingerprint, fingerprint, "{context}");
            assert_eq!(
                (
                    details.is_trusted,
                    details.trust_level,
                    details.trust_expires_at
                ),
                trust.as_api(),
                "{context}: trust"
            );
            let listed: SessionTimes = details
                .sessions
                .iter()
                .map(|session| (session.id.clone(), (session.started_at, session.expires_at)))
                .collect();
            let expected = Model::session_times(
                model
                    .active_sessions_of(caller)
                    .filter(|session| session.device == target.id),
            );
            assert_eq!(listed, expected, "{context}: the device's active sessions");
            assert_eq!(
                listed.len(),
                details.sessions.len(),
                "{context}: no duplicates"
            );
        }
        Op::Trust { fingerprint, .. } => {
            let device = model.devices.iter_mut().find(|device| {
                device.user == caller && device.exists && device.fingerprint == *fingerprint
            });
            match device {
                Some(device) => {
                    let Reply::Trusted(body) = &reply else {
                        panic!("{context}: expected a trust, got {reply:?}");
                    };
                    assert!(body.success, "{context}");
                    assert_eq!(body.message, "Device trusted successfully", "{context}");
                    let period = app.policy.trust_period;
                    assert!(
                        before + period - chrono::Duration::milliseconds(1)
                            <= body.trust_expires_at
                            && body.trust_expires_at <= after + period,
                        "{context}: trustExpiresAt {} is not one trust period from now",
                        body.trust_expires_at
                    );
                    device.trust = Trust::Until(body.trust_expires_at);
                }
                None => expect_failure(&reply, 404, DEVICE_NOT_FOUND, context),
            }
        }
        Op::Untrust(target) => match model.callers_device(caller, &target.id) {
            Some(device) => {
                expect_message(&reply, "Device untrusted successfully", context);
                device.trust = Trust::Withdrawn;
                model.end_sessions_of_device(&target.id);
            }
            None => expect_failure(&reply, 404, DEVICE_NOT_FOUND, context),
        },
        Op::RemoveDevice(target) => match model.callers_device(caller, &target.id) {
            Some(device) => {
                expect_message(&reply, "Device removed successfully", context);
                device.exists = false;
                model.end_sessions_of_device(&target.id);
            }
            None => expect_failure(&reply, 404, DEVICE_NOT_FOUND, context),
        },
    }
    reply
}

/// The store behind the API holds exactly what the model says, for every user.
async fn check_store(app: &TestApp, model: &Model, context: &str) {
    let now = Utc::now();
    for (user, name) in USERS.iter().enumerate() {
        let stored: BTreeMap<_, _> = app
            .store
            .active_sessions(name, now)
            .await
            .expect("the store answers")
            .into_iter()
            .map(|session| {
                let view = (session.user_id, session.device_id, session.expires_at);
                (session.id, view)
            })
            .collect();
        let expected: BTreeMap<_, _> = model
            .active_sessions_of(user)
            .map(|session| {
                let view = (
                    (*name).to_owned(),
                    session.device.clone(),
                    session.expires_at,
                );
                (session.id.clone(), view)
            })
            .collect();
        assert_eq!(
            stored, expected,
            "{context}: {name}'s active sessions in the store"
        );

        let stored: BTreeMap<_, _> = app
            .store
            .devices(name)
            .await
            .expect("the store answers")
            .into_iter()
            .map(|device| {
                let view = (
                    device.user_id,
                    device.fingerprint,
                    Trust::from_stored(device.trust),
                );
                (device.id, view)
            })
            .collect();
        let expected: BTreeMap<_, _> = model
            .existing_devices_of(user)
            .map(|device| {
                let view = (
                    (*name).to_owned(),
                    device.fingerprint.to_owned(),
                    device.trust,
                );
                (device.id.clone(), view)
            })
            .collect();
        assert_eq!(stored, expected, "{context}: {name}'s devices in the store");
    }
}

/// How often each (operation, target, status) came up, to show the cases reached every branch.
type Coverage = BTreeMap<String, usize>;

async fn run_case(seed: u64) -> Coverage {
    let app = TestApp::spawn().await;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::default();
    let mut coverage = Coverage::new();
    // Everyone starts signed in once, so the first steps have tokens to use.
    let mut steps: Vec<Step> = (0..USERS.len())
        .map(|user| Step::Issue {
            user,
            fingerprint: FINGERPRINTS.choose(&mut rng).expect("fingerprints"),
        })
        .collect();
    for step_number in 0..USERS.len() + STEPS {
        let step = if steps.is_empty() {
            next_step(&mut rng, &model)
        } else {
            steps.remove(0)
        };
        let key = match step {
            Step::Issue { user, fingerprint } => {
                let context = format!(
                    "seed={seed} step={step_number} issue user={} fingerprint={fingerprint}",
                    USERS[user]
                );
                let kind = issue(&app, &mut model, user, fingerprint, &context).await;
                check_store(&app, &model, &context).await;
                format!("issue {kind}")
            }
            Step::Call(call) => {
                let context = format!(
                    "seed={seed} step={step_number} caller={} token_active={} op={:?}",
                    USERS[call.caller], call.token_active, call.op
                );
                let reply = perform(&app, &mut model, &call, &context).await;
                check_store(&app, &model, &context).await;
                if reply.status() == 401 {
                    format!("{} 401", call.op.name())
                } else {
                    format!(
                        "{} {} {}",
                        call.op.name(),
                        call.op.target_kind(),
                        reply.status()
                    )
                }
            }
        };
        *coverage.entry(key).or_default() += 1;
    }
    let violations = app.violations();
    assert!(
        violations.is_empty(),
        "seed={seed}: responses broke the spec:\n{}",
        violations.join("\n")
    );
    coverage
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Every branch the cases must have reached at least once, so a model test that silently
/// stopped exercising something fails instead of passing.
const REQUIRED_COVERAGE: &[&str] = &[
    "issue new-device",
    "issue known-device",
    "issue removed-device-again",
    "list-sessions - 200",
    "list-sessions 401",
    "revoke own-active 200",
    "revoke own-ended 404",
    "revoke other-user 404",
    "revoke unknown 404",
    "revoke 401",
    "revoke-all - 200",
    "revoke-all 401",
    "heartbeat own-active 200",
    "heartbeat own-ended 404",
    "heartbeat other-user 404",
    "heartbeat unknown 404",
    "heartbeat 401",
    "list-devices - 200",
    "list-devices 401",
    "device-details own-existing 200",
    "device-details own-removed 404",
    "device-details other-user 404",
    "device-details unknown 404",
    "device-details 401",
    "trust own-existing 200",
    "trust other-user-only 404",
    "trust unknown 404",
    "trust 401",
    "untrust own-existing 200",
    "untrust own-removed 404",
    "untrust other-user 404",
    "untrust unknown 404",
    "untrust 401",
    "remove-device own-existing 200",
    "remove-device own-removed 404",
    "remove-device other-user 404",
    "remove-device unknown 404",
    "remove-device 401",
];

#[both_backends(multi_thread)]
async fn random_operation_sequences_by_three_users_agree_with_the_model() {
    let replay = std::env::var("MODEL_SEED").ok().map(|seed| {
        seed.parse::<u64>()
            .unwrap_or_else(|_| panic!("MODEL_SEED={seed:?} is not a u64"))
    });
    let seeds: Vec<u64> = match replay {
        Some(seed) => vec![seed],
        None => (0..CASES).map(|case| BASE_SEED + case).collect(),
    };
    // Cases are independent (one app each), so they run side by side.
    let cases: Vec<_> = seeds
        .iter()
        .map(|&seed| (seed, tokio::spawn(run_case(seed))))
        .collect();
    let mut coverage = Coverage::new();
    let mut failures = Vec::new();
    for (seed, case) in cases {
        match case.await {
            Ok(reached) => {
                for (key, count) in reached {
                    *coverage.entry(key).or_default() += count;
                }
            }
            Err(err) if err.is_panic() => failures.push(format!(
                "seed={seed} (replay with MODEL_SEED={seed}): {}",
                panic_message(err.into_panic().as_ref())
            )),
            Err(err) => failures.push(format!("seed={seed}: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
    if replay.is_none() {
        let missing: Vec<_> = REQUIRED_COVERAGE
            .iter()
            .filter(|key| !coverage.contains_key(**key))
            .collect();
        assert!(
            missing.is_empty(),
            "no case reached {missing:?}; reached: {coverage:#?}"
        );
    }
}
