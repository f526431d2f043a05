//! A crate that generates its server stubs at build time, as progenitor's `build.rs` clients
//! do, and implements them.

pub mod models {
    include!(concat!(env!("OUT_DIR"), "/models.rs"));
}
pub mod operations {
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}
pub mod router {
    include!(concat!(env!("OUT_DIR"), "/router.rs"));
}

use operations::{GetTodoResponse, ListTodosResponse, TodoApi};

/// One todo, always.
pub struct Todos;

impl TodoApi for Todos {
    async fn list_todos(&self, _limit: Option<i32>) -> ListTodosResponse {
        ListTodosResponse::Ok(models::ListTodosResponse200(vec![todo(1)]))
    }

    async fn get_todo(&self, id: i64) -> GetTodoResponse {
        if id == 1 {
            GetTodoResponse::Ok(todo(1))
        } else {
            GetTodoResponse::NotFound
        }
    }
}

fn todo(id: i64) -> models::Todo {
    models::Todo {
        id,
        title: "write the build script".to_owned(),
        done: None,
    }
}

/// The service, routed.
pub fn app() -> axum::Router {
    router::router(std::sync::Arc::new(Todos))
}
