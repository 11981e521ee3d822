use leptos::prelude::*;

use crate::domain::{Funnel, Loss, LossStage, PushStats};
use crate::i18n::{tr, use_locale};

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// The steps of a funnel, top down: name, count, rate of the step before.
fn steps(f: &Funnel) -> [(&'static str, i64, Option<f64>); 4] {
    [
        ("pushes", f.pushes, None),
        ("accepted", f.accepted, f.accepted_rate),
        ("delivered", f.delivered, f.delivered_rate),
        ("clicked", f.clicked, f.clicked_rate),
    ]
}

fn stage_key(stage: LossStage) -> &'static str {
    match stage {
        LossStage::Skipped => "funnel.loss.skipped",
        LossStage::Vendor => "funnel.loss.vendor",
        LossStage::Receipt => "funnel.loss.receipt",
    }
}

/// Pushes → accepted by the vendor → delivered → clicked, as bars with the step rates, then the
/// same per certificate, then the loss reasons ranked by count.
#[component]
pub fn ReachFunnel(stats: PushStats) -> impl IntoView {
    let l = use_locale();
    let widest = stats.funnel.pushes.max(1) as f64;
    let bars = steps(&stats.funnel)
        .into_iter()
        .map(|(step, count, rate)| {
            let width = format!("width:{:.1}%", count as f64 / widest * 100.0);
            view! {
                <li class="funnel-step" data-step=step data-count=count>
                    <span class="funnel-label">{tr(l, &format!("funnel.{step}"))}</span>
                    <span class="funnel-bar"><i style=width></i></span>
                    <span class="funnel-count">{count}</span>
                    <span class="funnel-rate">{rate.map(|r| percent(Some(r)))}</span>
                </li>
            }
        })
        .collect_view();
    let certificates = stats
        .by_certificate
        .iter()
        .map(|c| {
            let f = &c.funnel;
            let id = c
                .certificate_id
                .map_or_else(|| "—".into(), |id| id.to_string());
            view! {
                <tr data-certificate=id.clone()>
                    <td>{id.clone()}</td>
                    <td>{c.package_name.clone()}</td>
                    <td>{f.pushes}</td>
                    <td>{f.accepted}</td>
                    <td>{f.delivered}</td>
                    <td>{f.clicked}</td>
                    <td>{percent(f.delivered_rate)}</td>
                    <td>{percent(f.clicked_rate)}</td>
                </tr>
            }
        })
        .collect_view();
    let losses = stats
        .losses
        .iter()
        .map(|loss: &Loss| {
            view! {
                <li data-stage=format!("{:?}", loss.stage).to_lowercase() data-code=loss.code.clone() data-count=loss.count>
                    <span class="loss-count">{loss.count}</span>
                    <span class="badge">{tr(l, stage_key(loss.stage))}" "{loss.code.clone()}</span>
                    <span>{loss.meaning.get(l).to_owned()}</span>
                    {loss.fix.as_ref().map(|f| view! { <span class="hint">{f.get(l).to_owned()}</span> })}
                </li>
            }
        })
        .collect_view();
    let no_losses = stats.losses.is_empty();
    view! {
        <div class="funnel" id="reach-funnel">
            <h3>{tr(l, "funnel.title")}</h3>
            {(!stats.receipts).then(|| view! { <p class="hint warn" id="receipts-off">{tr(l, "funnel.receipts_off")}</p> })}
            <ol class="funnel-steps">{bars}</ol>
            <table class="funnel-certificates">
                <thead><tr>
                    <th>{tr(l, "funnel.certificate")}</th><th>{tr(l, "funnel.package")}</th>
                    <th>{tr(l, "funnel.pushes")}</th><th>{tr(l, "funnel.accepted")}</th>
                    <th>{tr(l, "funnel.delivered")}</th><th>{tr(l, "funnel.clicked")}</th>
                    <th>{tr(l, "funnel.delivery_rate")}</th><th>{tr(l, "funnel.click_rate")}</th>
                </tr></thead>
                <tbody>{certificates}</tbody>
            </table>
            <h3>{tr(l, "funnel.losses")}</h3>
            {no_losses.then(|| view! { <p class="muted">{tr(l, "funnel.no_losses")}</p> })}
            <ol class="losses" id="losses">{losses}</ol>
        </div>
    }
}
