//! The deployment files agree with the configuration pricewatch reads.

use pricewatch::config::VARIABLES;

fn compose() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml")).unwrap()
}

/// Names used as `${NAME}` / `${NAME:-default}` in the text.
fn interpolated(text: &str) -> Vec<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split(['}', ':']).next())
        .map(String::from)
        .collect()
}

/// Keys of the `environment:` maps that configure the pricewatch services.
fn pricewatch_environment(text: &str) -> Vec<String> {
    let anchor = text.split("x-pricewatch:").nth(1).unwrap_or("");
    let env = anchor.split("environment:").nth(1).unwrap_or("");
    env.lines()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.to_string()))
        .collect()
}

#[test]
fn compose_services_and_variables_agree_with_env_example() {
    let text = compose();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example")).unwrap();
    for service in ["postgres:", "redis:", "pricewatch:", "worker:"] {
        assert!(
            text.contains(&format!("\n  {service}")),
            "service {service} missing"
        );
    }
    assert!(text.contains("replicas: 2"), "two worker replicas");
    assert!(text.contains("command: [\"run\"]") && text.contains("command: [\"worker\"]"));
    assert!(
        text.contains("env_file: .env"),
        "pricewatch services read .env"
    );
    let env = pricewatch_environment(&text);
    assert_eq!(env, ["DATABASE_URL", "REDIS_URL"]);
    for var in &env {
        assert!(
            VARIABLES.contains(&var.as_str()),
            "{var} is not a pricewatch variable"
        );
        assert!(
            example.contains(&format!("\n{var}=")),
            "{var} is not in .env.example"
        );
    }
    // Every ${VAR} is either a pricewatch variable in .env.example or the
    // compose-only database password, which has a default.
    for var in interpolated(&text) {
        if var == "POSTGRES_PASSWORD" {
            assert!(text.contains("${POSTGRES_PASSWORD:-"), "needs a default");
            continue;
        }
        assert!(
            VARIABLES.contains(&var.as_str()),
            "${{{var}}} is not a pricewatch variable"
        );
        assert!(
            example.contains(&format!("\n{var}=")),
            "{var} is not in .env.example"
        );
    }
}

fn repo_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Issue 13, item 5: the build context leaves out target/, secrets and data;
/// the image runs unprivileged in a folder it owns, keeps the embedded
/// database on a volume and reports its health.
#[test]
fn the_image_is_small_to_build_unprivileged_and_keeps_its_data_on_a_volume() {
    let ignore = repo_file(".dockerignore");
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for must in ["target/", ".git/", ".env", "data/", "*.db"] {
        assert!(ignored.contains(&must), "{must} is not in .dockerignore");
    }
    assert!(
        ignored.contains(&"!.env.example"),
        ".env.example stays in the context"
    );
    let docker = repo_file("Dockerfile");
    let pos = |needle: &str| {
        docker
            .find(needle)
            .unwrap_or_else(|| panic!("Dockerfile lacks {needle:?}"))
    };
    // /app/data exists and belongs to the user before the switch to it.
    assert!(pos("chown -R pricewatch:pricewatch /app") < pos("USER pricewatch"));
    assert!(pos("mkdir -p /app/data") < pos("USER pricewatch"));
    assert!(pos("USER pricewatch") < pos("WORKDIR /app"));
    pos("VOLUME [\"/app/data\"]");
    pos("HEALTHCHECK");
    pos("/healthz");
    // The default SQLite file is ./data/pricewatch.db, inside the volume.
    assert_eq!(
        pricewatch::config::Config::from_map(&Default::default())
            .unwrap()
            .database_url
            .as_str(),
        "sqlite://data/pricewatch.db?mode=rwc"
    );
}
