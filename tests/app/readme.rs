//! The README tells the truth about what the binary offers: every command in
//! the roles table, every served metric, every setting, and a quickstart of
//! exactly two commands, the second being what `.ci/run` runs.

use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The text of the `## title` section.
fn section(text: &str, title: &str) -> String {
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let rest = &text[start + 4 + title.len()..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
}

#[test]
fn the_roles_table_names_every_command() {
    let roles = section(&readme(), "Roles and commands");
    let cli = pricewatch::cli::Cli::command();
    for cmd in cli.get_subcommands() {
        let leaves: Vec<String> = if cmd.has_subcommands() {
            cmd.get_subcommands()
                .map(|s| format!("`pricewatch {} {}", cmd.get_name(), s.get_name()))
                .collect()
        } else {
            vec![format!("`pricewatch {}", cmd.get_name())]
        };
        for leaf in leaves {
            assert!(roles.contains(&leaf), "{leaf}` is not in the roles table");
        }
    }
}

#[test]
fn the_metrics_list_names_every_served_series() {
    let health = section(&readme(), "Health and metrics");
    let served = pricewatch::metrics::Metrics::default()
        .render(&[("check_product", Some(0)), ("deliver", Some(0))]);
    let names: Vec<&str> = served
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() >= 7, "{served}");
    for name in names {
        assert!(
            health.contains(&format!("`{name}")),
            "{name} is served but not in the README"
        );
    }
}

#[test]
fn the_configuration_table_names_every_setting() {
    let config = section(&readme(), "Configuration");
    for var in pricewatch::config::VARIABLES
        .iter()
        .chain(pricewatch::config::COMPOSE_ONLY)
    {
        assert!(
            config.contains(&format!("`{var}`")),
            "{var} is not in the README's configuration table"
        );
    }
}

#[test]
fn the_quickstart_is_two_commands_and_ci_runs_the_second() {
    let quick = section(&readme(), "Quickstart");
    let block = quick
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let commands: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(commands.len(), 2, "{block}");
    assert!(commands[0].starts_with("TELEGRAM_BOT_TOKEN="));
    assert!(commands[0].ends_with("cargo run --release -- run"));
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == commands[1]),
        "{} is not what .ci/run runs",
        commands[1]
    );
}
