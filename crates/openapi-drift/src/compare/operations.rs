//! Operations: parameters, request bodies, responses, media types, headers.

use std::collections::BTreeMap;

use crate::error::DriftError;
use crate::normalize::{Api, Header, Media, Operation, ParamKey, Parameter, Response};
use crate::pointer::join;
use crate::report::{Direction, FindingKind, Severity};
use crate::rules::{self};

use super::{Comparer, place, required, schemas::Unused};

impl Comparer<'_> {
    pub(super) fn operations(
        &mut self,
        spec: &Api,
        implementation: &Api,
    ) -> Result<(), DriftError> {
        for (key, s) in &spec.operations {
            match implementation.operations.get(key) {
                Some(i) => self.operation(s, i)?,
                None => self.report(
                    FindingKind::OperationMissing,
                    Severity::Breaking,
                    s.place(),
                    Some(&s.pointer),
                    None,
                    "present",
                    "absent",
                ),
            }
        }
        for (key, i) in &implementation.operations {
            if !spec.operations.contains_key(key) {
                self.report(
                    FindingKind::OperationExtra,
                    Severity::Compatible,
                    i.place(),
                    None,
                    Some(&i.pointer),
                    "absent",
                    "present",
                );
            }
        }
        Ok(())
    }

    pub(super) fn operation(&mut self, s: &Operation, i: &Operation) -> Result<(), DriftError> {
        let base = s.place();
        self.direction = None;
        if s.operation_id != i.operation_id {
            self.report(
                FindingKind::OperationIdChanged,
                Severity::ClientSurface,
                base.clone(),
                Some(&s.pointer),
                Some(&i.pointer),
                s.operation_id.as_deref().unwrap_or("absent"),
                i.operation_id.as_deref().unwrap_or("absent"),
            );
        }
        self.direction = Some(Direction::Request);
        self.path_parameter_names(&base, s, i);
        self.parameters(&base, s, i)?;
        self.request_body(&base, s, i)?;
        if s.security.alternatives != i.security.alternatives {
            self.report(
                FindingKind::SecurityChanged,
                self.scoped(rules::security(&s.security, &i.security)),
                place(&base, "security"),
                s.security.pointer.as_deref().or(Some(&s.pointer)),
                i.security.pointer.as_deref().or(Some(&i.pointer)),
                s.security.label(),
                i.security.label(),
            );
        }
        self.callbacks(&base, s, i);
        self.direction = Some(Direction::Response);
        let result = self.responses(&base, s, i);
        self.direction = None;
        result
    }

    /// Callbacks are requests the server makes to its client, like webhooks: one gone is calls
    /// the client no longer gets (breaking), one added is compatible, a changed one is not
    /// judged (its directions are the reverse of an operation's), so it is unhandled.
    pub(super) fn callbacks(&mut self, base: &str, s: &Operation, i: &Operation) {
        let direction = self.direction.take();
        for (name, (s_pointer, s_callback)) in &s.callbacks {
            let at = place(base, &format!("callback {name}"));
            match i.callbacks.get(name) {
                None => self.report(
                    FindingKind::CallbackMissing,
                    Severity::Breaking,
                    at,
                    Some(s_pointer),
                    Some(&i.pointer),
                    "present",
                    "absent",
                ),
                Some((i_pointer, i_callback)) if i_callback != s_callback => self.report(
                    FindingKind::KeywordUnhandled,
                    Severity::Unhandled,
                    at,
                    Some(s_pointer),
                    Some(i_pointer),
                    "callback as written",
                    "callback changed",
                ),
                Some(_) => {}
            }
        }
        for (name, (i_pointer, _)) in &i.callbacks {
            if !s.callbacks.contains_key(name) {
                self.report(
                    FindingKind::CallbackExtra,
                    Severity::Compatible,
                    place(base, &format!("callback {name}")),
                    Some(&s.pointer),
                    Some(i_pointer),
                    "absent",
                    "present",
                );
            }
        }
        self.direction = direction;
    }

    /// Paths matched with parameter names erased; a different name changes nothing on the
    /// wire but is still drift, because clients (and docs) use it.
    pub(super) fn path_parameter_names(&mut self, base: &str, s: &Operation, i: &Operation) {
        for (index, (s_name, i_name)) in s.path_params.iter().zip(&i.path_params).enumerate() {
            if s_name != i_name {
                let key = ParamKey::Path(index);
                let s_pointer = s.parameters.get(&key).map_or(&s.pointer, |p| &p.pointer);
                let i_pointer = i.parameters.get(&key).map_or(&i.pointer, |p| &p.pointer);
                self.report(
                    FindingKind::PathParameterRenamed,
                    Severity::ClientSurface,
                    place(base, &format!("parameter path.{s_name}")),
                    Some(s_pointer),
                    Some(i_pointer),
                    s_name.clone(),
                    i_name.clone(),
                );
            }
        }
    }

    pub(super) fn parameters(
        &mut self,
        base: &str,
        s: &Operation,
        i: &Operation,
    ) -> Result<(), DriftError> {
        let mut unmatched_spec: Vec<&Parameter> = Vec::new();
        for (key, sp) in &s.parameters {
            match i.parameters.get(key) {
                Some(ip) => self.parameter(base, sp, ip)?,
                None => unmatched_spec.push(sp),
            }
        }
        let mut unmatched_implementation: Vec<&Parameter> = i
            .parameters
            .iter()
            .filter(|(key, _)| !s.parameters.contains_key(key))
            .map(|(_, p)| p)
            .collect();

        for sp in unmatched_spec {
            // Same name in another location: one moved parameter, not a missing and an extra one.
            let moved = unmatched_implementation.iter().position(|ip| {
                ip.name.eq_ignore_ascii_case(&sp.name) && ip.location != sp.location
            });
            match moved {
                Some(index) => {
                    let ip = unmatched_implementation.remove(index);
                    // Reference clients send it where the candidate does not look.
                    self.report(
                        FindingKind::ParameterChanged,
                        Severity::Breaking,
                        place(base, &format!("parameter {}", sp.label())),
                        Some(&sp.pointer),
                        Some(&ip.pointer),
                        format!("in {}", sp.location),
                        format!("in {}", ip.location),
                    );
                }
                // Reference clients send it (always if required, when they use it otherwise);
                // the candidate no longer reads it.
                None => self.report(
                    FindingKind::ParameterMissing,
                    Severity::Breaking,
                    place(base, &format!("parameter {}", sp.label())),
                    Some(&sp.pointer),
                    Some(&i.pointer),
                    "present",
                    "absent",
                ),
            }
        }
        for ip in unmatched_implementation {
            // Reference clients never send it: fine unless the candidate insists.
            let severity = if ip.required {
                Severity::Breaking
            } else {
                Severity::Compatible
            };
            self.report(
                FindingKind::ParameterExtra,
                severity,
                place(base, &format!("parameter {}", ip.label())),
                Some(&s.pointer),
                Some(&ip.pointer),
                "absent",
                if ip.required { "required" } else { "present" },
            );
        }
        Ok(())
    }

    pub(super) fn parameter(
        &mut self,
        base: &str,
        s: &Parameter,
        i: &Parameter,
    ) -> Result<(), DriftError> {
        let at = place(base, &format!("parameter {}", s.label()));
        if s.required != i.required {
            self.report(
                FindingKind::ParameterChanged,
                self.scoped(rules::flag(!s.required)),
                at.clone(),
                Some(&s.pointer),
                Some(&i.pointer),
                required(s.required),
                required(i.required),
            );
        }
        if s.serialization != i.serialization {
            // The candidate reads the value written another way (`a,b` against `a=..&a=..`).
            self.report(
                FindingKind::ParameterChanged,
                Severity::Breaking,
                at.clone(),
                Some(&s.pointer),
                Some(&i.pointer),
                s.serialization.clone(),
                i.serialization.clone(),
            );
        }
        // A parameter value cannot be null on the wire (absence is omission), so utoipa's
        // `Option<T>` → `[T, "null"]` says nothing there.
        let unused = Unused {
            nullability: true,
            default: s.required && i.required,
        };
        self.schema_with(&at, "", s.schema.as_ref(), i.schema.as_ref(), unused)
    }

    pub(super) fn request_body(
        &mut self,
        base: &str,
        s: &Operation,
        i: &Operation,
    ) -> Result<(), DriftError> {
        let at = place(base, "request body");
        match (&s.request_body, &i.request_body) {
            (None, None) => {}
            // Reference clients send a body the candidate does not read.
            (Some(sb), None) => self.report(
                FindingKind::RequestBodyMissing,
                Severity::Breaking,
                at,
                Some(&sb.pointer),
                Some(&i.pointer),
                "present",
                "absent",
            ),
            (None, Some(ib)) => self.report(
                FindingKind::RequestBodyExtra,
                if ib.required {
                    Severity::Breaking
                } else {
                    Severity::Compatible
                },
                at,
                Some(&s.pointer),
                Some(&ib.pointer),
                "absent",
                if ib.required { "required" } else { "present" },
            ),
            (Some(sb), Some(ib)) => {
                if sb.required != ib.required {
                    self.report(
                        FindingKind::RequestBodyChanged,
                        self.scoped(rules::flag(!sb.required)),
                        at.clone(),
                        Some(&sb.pointer),
                        Some(&ib.pointer),
                        required(sb.required),
                        required(ib.required),
                    );
                }
                self.content(&at, (&sb.pointer, &sb.content), (&ib.pointer, &ib.content))?;
            }
        }
        Ok(())
    }

    pub(super) fn responses(
        &mut self,
        base: &str,
        s: &Operation,
        i: &Operation,
    ) -> Result<(), DriftError> {
        let is_success = |status: &str| status.starts_with('2');
        let candidate_succeeds = i.responses.keys().any(|status| is_success(status));
        for (status, sr) in &s.responses {
            let at = place(base, status);
            match i.responses.get(status) {
                Some(ir) => self.response(&at, sr, ir)?,
                // Reference clients handle a status the candidate never sends, unless it was
                // the last way to succeed: then no call can succeed as they expect.
                None => self.report(
                    FindingKind::StatusMissing,
                    if is_success(status) && !candidate_succeeds {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    },
                    at,
                    Some(&sr.pointer),
                    Some(&join(&i.pointer, "responses")),
                    "present",
                    "absent",
                ),
            }
        }
        for (status, ir) in &i.responses {
            if !s.responses.contains_key(status) {
                // A new error status only says how a request fails, which every client handles
                // already (a proxy may answer any 4xx or 5xx); a new success status, or a
                // `default`, would turn what reference clients take for success into a surprise.
                let is_error = status.starts_with('4') || status.starts_with('5');
                self.report(
                    FindingKind::StatusExtra,
                    if is_error {
                        Severity::Compatible
                    } else {
                        Severity::Breaking
                    },
                    place(base, status),
                    Some(&join(&s.pointer, "responses")),
                    Some(&ir.pointer),
                    "absent",
                    "present",
                );
            }
        }
        Ok(())
    }

    pub(super) fn response(
        &mut self,
        at: &str,
        s: &Response,
        i: &Response,
    ) -> Result<(), DriftError> {
        self.content(at, (&s.pointer, &s.content), (&i.pointer, &i.content))?;
        self.headers(at, (&s.pointer, &s.headers), (&i.pointer, &i.headers))
    }

    pub(super) fn content(
        &mut self,
        at: &str,
        (s_owner, s): (&str, &BTreeMap<String, Media>),
        (i_owner, i): (&str, &BTreeMap<String, Media>),
    ) -> Result<(), DriftError> {
        let absent = |other: &BTreeMap<String, Media>| {
            if other.is_empty() {
                "no content"
            } else {
                "absent"
            }
        };
        for (media, sm) in s {
            match i.get(media) {
                Some(im) => {
                    // JSON is the common case; name other media types so places stay distinct.
                    let base = if media == "application/json" {
                        at.to_owned()
                    } else {
                        place(at, media)
                    };
                    self.schema(&base, "", sm.schema.as_ref(), im.schema.as_ref())?;
                }
                None => {
                    // A request in that media type is refused. A client that asks for a
                    // response in it (`Accept: application/json`) gets no answer it can read,
                    // whatever other media types remain.
                    self.report(
                        FindingKind::ContentTypeChanged,
                        Severity::Breaking,
                        at.to_owned(),
                        Some(&sm.pointer),
                        Some(i_owner),
                        media.clone(),
                        absent(i),
                    );
                }
            }
        }
        for (media, im) in i {
            if !s.contains_key(media) {
                // A request may now come in one more media type. A response in a new one goes
                // only to clients that ask for it (reference clients ask for what they know),
                // and a body where the reference had none is one its clients do not read.
                self.report(
                    FindingKind::ContentTypeChanged,
                    Severity::Compatible,
                    at.to_owned(),
                    Some(s_owner),
                    Some(&im.pointer),
                    absent(s),
                    media.clone(),
                );
            }
        }
        Ok(())
    }

    /// Response headers: presence, `required`, and their schema like any other value sent.
    pub(super) fn headers(
        &mut self,
        at: &str,
        (s_owner, s): (&str, &BTreeMap<String, Header>),
        (i_owner, i): (&str, &BTreeMap<String, Header>),
    ) -> Result<(), DriftError> {
        for (key, sh) in s {
            let here = place(at, &format!("header {}", sh.name));
            match i.get(key) {
                Some(ih) => {
                    // Like a property: a header the reference promised (`required: true`) may
                    // no longer be left out; one it left optional may become promised.
                    if sh.required != ih.required {
                        self.report(
                            FindingKind::RequiredChanged,
                            self.scoped(rules::flag(!sh.required)),
                            here.clone(),
                            Some(&sh.pointer),
                            Some(&ih.pointer),
                            required(sh.required),
                            required(ih.required),
                        );
                    }
                    self.schema(&here, "", sh.schema.as_ref(), ih.schema.as_ref())?;
                }
                // Like a property: dropping what the reference promised (`required: true`)
                // breaks; dropping what it left optional is sending less.
                None => self.report(
                    FindingKind::HeaderMissing,
                    if sh.required {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    },
                    here,
                    Some(&sh.pointer),
                    Some(i_owner),
                    if sh.required { "required" } else { "present" },
                    "absent",
                ),
            }
        }
        for (key, ih) in i {
            if !s.contains_key(key) {
                // Clients ignore response headers they do not know.
                self.report(
                    FindingKind::HeaderExtra,
                    Severity::Compatible,
                    place(at, &format!("header {}", ih.name)),
                    Some(s_owner),
                    Some(&ih.pointer),
                    "absent",
                    "present",
                );
            }
        }
        Ok(())
    }
}
