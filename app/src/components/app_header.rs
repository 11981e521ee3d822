//! The app's name, SDKAppID and tabs, above every tab of an app's pages.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::apps::get_app;
use crate::domain::format_unix;
use crate::i18n::{tr, use_locale};

/// The tabs of an app's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppTab {
    /// 基础配置
    Basic,
    /// 离线推送
    Push,
    /// 测试推送
    TestPush,
    /// 推送记录
    Records,
    /// 设备
    Devices,
    /// 排查
    Diagnose,
    /// 虚拟手机
    Phone,
}

/// The app's name, SDKAppID and tabs, above every tab of the app.
#[component]
pub fn AppHeader(tab: AppTab) -> impl IntoView {
    let l = use_locale();
    let params = use_params_map();
    let sdkappid = move || params.with(|p| p.get("sdkappid").unwrap_or_default());
    let app = Resource::new(sdkappid, get_app);
    let base = move || format!("/apps/{}", sdkappid());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                app.await.ok().map(|app| view! {
                    <div class="app-header">
                        <h1>{app.name.clone()}</h1>
                        <span class="sdkappid">"SDKAppID: " <code>{app.sdkappid.to_string()}</code></span>
                        <span class="muted">{tr(l, "common.created_at")} " " {format_unix(app.created_at)}</span>
                    </div>
                })
            })}
        </Transition>
        <nav class="tabs">
            <a class="tab" class:active=tab == AppTab::Basic href=base id="tab-basic">{tr(l, "app.tab_basic")}</a>
            <a class="tab" class:active=tab == AppTab::Push href=move || format!("{}/push", base()) id="tab-push">
                {tr(l, "app.tab_push")}
            </a>
            <a class="tab" class:active=tab == AppTab::TestPush href=move || format!("{}/test-push", base()) id="tab-test-push">
                {tr(l, "app.tab_test_push")}
            </a>
            <a class="tab" class:active=tab == AppTab::Records href=move || format!("{}/records", base()) id="tab-records">
                {tr(l, "app.tab_records")}
            </a>
            <a class="tab" class:active=tab == AppTab::Devices href=move || format!("{}/devices", base()) id="tab-devices">
                {tr(l, "app.tab_devices")}
            </a>
            <a class="tab" class:active=tab == AppTab::Diagnose href=move || format!("{}/diagnose", base()) id="tab-diagnose">
                {tr(l, "app.tab_diagnose")}
            </a>
            <a class="tab" class:active=tab == AppTab::Phone href=move || format!("{}/phone", base()) id="tab-phone">
                {tr(l, "app.tab_phone")}
            </a>
        </nav>
    }
}
