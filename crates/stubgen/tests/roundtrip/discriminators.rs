//! `discriminators.yaml`'s generated server, answering real requests on a socket: the
//! discriminator picks the variant on the way in, and the variant writes its own tag on the way
//! out. (Copied into the generated crate as `tests/roundtrip.rs` by `tests/crates.rs`.)

use std::sync::{Arc, Mutex};

use discriminators::{models::*, operations::*};
use serde_json::{Value, json};
use support::Server;

mod support;

/// Echoes what it reads, and remembers which variant that was.
#[derive(Default)]
struct Echo {
    read: Mutex<Vec<String>>,
}

impl Echo {
    fn saw(&self, variant: &str) {
        self.read.lock().unwrap().push(variant.to_owned());
    }
}

impl Api for Echo {
    async fn adopt_pet(&self, body: Pet) -> AdoptPetResponse {
        self.saw(match &body {
            Pet::Cat(_) => "Cat",
            Pet::Dog(_) => "Dog",
            Pet::Lion(_) => "Lion",
        });
        AdoptPetResponse::Ok(body)
    }

    async fn park_vehicle(&self, body: Vehicle) -> ParkVehicleResponse {
        self.saw(match &body {
            Vehicle::Car(_) => "Car",
            Vehicle::Bike(_) => "Bike",
        });
        ParkVehicleResponse::Ok(body)
    }

    async fn draw_shape(&self, body: DrawShapeRequest) -> DrawShapeResponse {
        self.saw(match &body {
            DrawShapeRequest::Circle(_) => "Circle",
            DrawShapeRequest::Square(_) => "Square",
        });
        DrawShapeResponse::NoContent
    }
}

/// The generated server over a fresh [`Echo`], and what the echo read on the last request.
struct Running {
    server: Server,
    echo: Arc<Echo>,
}

impl Running {
    async fn start() -> Self {
        let echo = Arc::new(Echo::default());
        let server = Server::start(discriminators::router(echo.clone())).await;
        Self { server, echo }
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value, Option<String>) {
        let (status, body) = self.server.post(path, body).await;
        (status, body, self.echo.read.lock().unwrap().pop())
    }
}

#[tokio::test]
async fn inheritance_reads_the_subtype_its_tag_names_and_writes_it_back() {
    let server = Running::start().await;
    for (payload, variant) in [
        // Named by its component name: no mapping entry.
        (
            json!({"petType": "Cat", "name": "Tom", "huntingSkill": "lazy"}),
            "Cat",
        ),
        // Named by its mapping value.
        (json!({"petType": "dog", "name": "Rex", "packSize": 3}), "Dog"),
        // A subtype of a subtype, with every field Cat has: still a Lion.
        (
            json!({"petType": "Lion", "name": "Leo", "huntingSkill": "aggressive", "prideSize": 5}),
            "Lion",
        ),
    ] {
        let (status, echoed, read) = server.post("/pets", &payload).await;
        assert_eq!(status, 200, "{payload}: {echoed}");
        assert_eq!(read.as_deref(), Some(variant), "{payload}");
        assert_eq!(echoed, payload, "the variant writes back what it read");
    }
}

#[tokio::test]
async fn a_tag_that_names_no_subtype_or_breaks_the_subtypes_schema_is_refused() {
    let server = Running::start().await;
    for payload in [
        // `Dog` is mapped as `dog`: its component name is no value of the tag.
        json!({"petType": "Dog", "name": "Rex", "packSize": 3}),
        json!({"petType": "Snake", "name": "Kaa"}),
        json!({"name": "Tom"}),
        json!({"petType": 7, "name": "Tom"}),
        // `name` is a property of the base that Dog's own branch requires.
        json!({"petType": "dog", "packSize": 3}),
        // The base's own constraint holds in every subtype.
        json!({"petType": "Cat", "name": ""}),
    ] {
        let (status, body, read) = server.post("/pets", &payload).await;
        assert_eq!(status, 400, "{payload}: {body}");
        assert_eq!(read, None, "{payload} reached the service");
    }
}

#[tokio::test]
async fn a_mapped_one_of_keeps_the_value_that_named_the_variant() {
    let server = Running::start().await;
    for (payload, variant) in [
        (json!({"type": "car", "doors": 3}), "Car"),
        (json!({"type": "automobile", "doors": 5}), "Car"),
        (json!({"type": "bike", "gears": 21}), "Bike"),
    ] {
        let (status, echoed, read) = server.post("/vehicles", &payload).await;
        assert_eq!(status, 200, "{payload}: {echoed}");
        assert_eq!(read.as_deref(), Some(variant), "{payload}");
        assert_eq!(echoed, payload);
    }
    // Car's own enum admits `bike`, but the discriminator names Bike by it: a Car never reads
    // (or carries) another variant's tag.
    let (status, echoed, read) = server
        .post("/vehicles", &json!({"type": "bike", "doors": 3}))
        .await;
    assert_eq!((status, read.as_deref()), (200, Some("Bike")));
    assert_eq!(echoed, json!({"type": "bike"}));
}

#[tokio::test]
async fn inline_branches_are_chosen_by_their_own_tag_enum() {
    let server = Running::start().await;
    for (payload, expected) in [
        (json!({"kind": "circle", "radius": 1.5}), (204, Some("Circle"))),
        (json!({"kind": "box", "side": 2}), (204, Some("Square"))),
        (json!({"kind": "square", "side": 2}), (204, Some("Square"))),
        // A circle's tag with a square's fields: the circle's fields are missing.
        (json!({"kind": "circle", "side": 2}), (400, None)),
        (json!({"kind": "circle", "radius": -1}), (400, None)),
        (json!({"kind": "triangle", "side": 2}), (400, None)),
    ] {
        let (status, body, read) = server.post("/shapes", &payload).await;
        assert_eq!((status, read.as_deref()), expected, "{payload}: {body}");
    }
}

#[test]
fn a_variant_built_in_code_carries_its_own_tag() {
    // The tag's type has the variant's values only: the default is the variant's first.
    let dog = Pet::Dog(Dog {
        pet_type: Default::default(),
        name: "Rex".to_owned(),
        pack_size: 2,
    });
    assert_eq!(
        serde_json::to_value(&dog).unwrap(),
        json!({"petType": "dog", "name": "Rex", "packSize": 2})
    );
    let lion = Pet::Lion(Lion {
        pet_type: LionPetType::Lion,
        name: "Leo".to_owned(),
        hunting_skill: None,
        pride_size: None,
    });
    let written = serde_json::to_value(&lion).unwrap();
    assert_eq!(written["petType"], "Lion");
    assert_eq!(serde_json::from_value::<Pet>(written).unwrap(), lion);
    let car = Vehicle::Car(Car {
        r#type: CarType::Automobile,
        doors: 4,
    });
    assert_eq!(serde_json::to_value(&car).unwrap()["type"], "automobile");
}
