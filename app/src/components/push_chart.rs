use leptos::prelude::*;

use crate::domain::{OutcomeCounts, PushStats, format_unix};
use crate::i18n::{tr, use_locale};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 160.0;
const AXIS: f64 = 18.0;

/// The outcomes in stacking order, bottom up, with their colours.
const SERIES: [(&str, &str); 4] = [
    ("accepted", "#0abf5b"),
    ("rejected", "#e54545"),
    ("failed", "#c26a00"),
    ("skipped", "#9aa3af"),
];

fn value(c: &OutcomeCounts, series: &str) -> i64 {
    match series {
        "accepted" => c.accepted,
        "rejected" => c.rejected,
        "failed" => c.failed,
        _ => c.skipped,
    }
}

/// Pushes over time as stacked SVG bars, one per bucket, with a legend and the busiest value.
#[component]
pub fn PushChart(stats: PushStats) -> impl IntoView {
    let l = use_locale();
    let n = stats.buckets.len().max(1) as f64;
    let peak = stats
        .buckets
        .iter()
        .map(OutcomeCounts::total)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / n;
    let bar = (slot * 0.7).max(1.0);
    let plot = HEIGHT - AXIS;
    let mut rects = Vec::new();
    for (i, b) in stats.buckets.iter().enumerate() {
        let mut y = plot;
        for (series, colour) in SERIES {
            let v = value(b, series);
            if v == 0 {
                continue;
            }
            let h = v as f64 / peak * (plot - 4.0);
            y -= h;
            let start = stats.start + i as i64 * stats.bucket_secs;
            let title = format!("{} · {series} {v}", format_unix(start));
            rects.push(view! {
                <rect x=format!("{:.1}", i as f64 * slot + (slot - bar) / 2.0) y=format!("{y:.1}")
                    width=format!("{bar:.1}") height=format!("{h:.1}") fill=colour data-series=series>
                    <title>{title}</title>
                </rect>
            });
        }
    }
    let total: i64 = stats.buckets.iter().map(OutcomeCounts::total).sum();
    let first = format_unix(stats.start);
    view! {
        <figure class="push-chart" data-total=total>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=tr(l, "chart.title")>
                <line x1="0" y1=plot x2=WIDTH y2=plot stroke="#e5e8ee"/>
                {rects}
                <text x="0" y={HEIGHT - 4.0} font-size="11" fill="#6b7280">{first}</text>
                <text x=WIDTH y={HEIGHT - 4.0} font-size="11" fill="#6b7280" text-anchor="end">{tr(l, "chart.now")}</text>
                <text x="0" y="11" font-size="11" fill="#6b7280">{format!("max {}", peak as i64)}</text>
            </svg>
            <figcaption class="legend">
                {SERIES.into_iter().map(|(series, colour)| view! {
                    <span><i style=format!("background:{colour}")></i>{tr(l, &format!("push.outcome.{series}"))}</span>
                }).collect_view()}
                <span class="muted">{format!("{} {total}", tr(l, "chart.total"))}</span>
            </figcaption>
        </figure>
    }
}
