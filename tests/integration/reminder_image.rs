//! The reminder with the product's picture (`reminder_image`), end to end on loopback: the image
//! variant created as `recupero whatsapp create-template --image` does (the example picture
//! through the Resumable Upload API), the sandbox store serving the pictures, the engine's
//! dispatcher uploading each picture once through the Media API and sending its media id, and
//! falling back to the text template when a cart has no usable picture.

use chrono::Duration;
use recupero::sandbox::images::PRODUCT_PNG;
use recupero::sandbox::whatsapp::{WaFault, SANDBOX_APP_ID};
use recupero::storage::media;

use crate::support::shop::{local, Shop, BA};

const BUTTON_BASE: &str = "https://tienda-sandbox.mitiendanube.com/";
const IMAGE_TEMPLATE: &str = "recupero_carrito_foto";

/// A Tiendanube shop on a Friday morning with the variant on, and the image template created
/// through the engine (as the CLI does) and approved by the sandbox's review.
async fn shop_with_image_template() -> Shop {
    let start = local(BA, 2026, 11, 20, 9, 30);
    let shop =
        Shop::open(BA, "mon-sun 09:00-20:00", start, &[("reminder_image", "true"), ("followups", "0")]).await;
    let created = shop
        .app
        .engine
        .create_image_template(BUTTON_BASE, PRODUCT_PNG.to_vec(), SANDBOX_APP_ID)
        .await
        .unwrap();
    assert_eq!(created.len(), 3, "es, pt_BR and en: {created:?}");
    assert!(created.iter().all(|(_, status)| status == "PENDING"), "{created:?}");
    let listed = shop.wa.templates();
    let image = listed.iter().find(|t| t.name == IMAGE_TEMPLATE && t.language == "es").expect("created");
    assert_eq!(image.header, Some(recupero::sandbox::whatsapp::TemplateHeader::Image));
    shop.app.clock.advance(Duration::minutes(11));
    shop
}

/// A checkout 20 minutes old whose items show `picture` (a file the sandbox store serves, or
/// none).
fn cart(shop: &Shop, picture: Option<&str>) -> u64 {
    let id = shop.checkout(shop.now() - Duration::minutes(20));
    shop.store.set_picture(shop.platform, id, picture);
    id
}

fn cached(shop: &Shop, file: &str) -> Option<media::MediaRow> {
    let url = format!("{}/images/products/{file}", shop.store.base_url());
    let conn = shop.app.engine.db().conn();
    media::get(&conn, &media::current_number(&conn).unwrap(), &url).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_carries_the_uploaded_picture_and_one_upload_serves_two_carts() {
    let shop = shop_with_image_template().await;
    let first = cart(&shop, Some("remera.png"));
    let second = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;

    let uploads = shop.wa.media();
    assert_eq!(uploads.len(), 1, "one upload for two carts with the same picture: {uploads:?}");
    assert_eq!((uploads[0].mime_type.as_str(), uploads[0].bytes), ("image/png", PRODUCT_PNG.len()));
    for id in [first, second] {
        let sent = shop.messages_for(id);
        assert_eq!(sent.len(), 1, "one message per cart");
        assert_eq!(sent[0].template, IMAGE_TEMPLATE);
        assert_eq!(sent[0].header_image.as_deref(), Some(format!("id:{}", uploads[0].id).as_str()));
        assert_eq!(sent[0].body.len(), 4, "the same body parameters as the text reminder");
        assert_eq!(shop.send(id, 0).0, "sent");
    }
    let row = cached(&shop, "remera.png").expect("the id is cached per picture");
    assert_eq!(row.media_id.as_deref(), Some(uploads[0].id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_without_a_usable_picture_gets_the_text_reminder() {
    let shop = shop_with_image_template().await;
    let none = cart(&shop, None);
    let big = cart(&shop, Some("big.jpg"));
    let declared_big = cart(&shop, Some("big-declared.jpg"));
    let html = cart(&shop, Some("page.jpg"));
    let missing = cart(&shop, Some("gone.gif"));
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;

    for id in [none, big, declared_big, html, missing] {
        let sent = shop.messages_for(id);
        assert_eq!(sent.len(), 1, "the reminder still goes, once");
        assert_eq!(sent[0].template, "recupero_carrito", "the text template");
        assert_eq!(sent[0].header_image, None);
    }
    assert!(shop.wa.media().is_empty(), "nothing unusable reached WhatsApp: {:?}", shop.wa.media());
    let why = |file: &str| cached(&shop, file).and_then(|r| r.refused_why);
    assert_eq!(why("big.jpg").as_deref(), Some("image_too_big"));
    assert_eq!(why("big-declared.jpg").as_deref(), Some("image_too_big"));
    assert_eq!(why("page.jpg").as_deref(), Some("image_not_jpeg_or_png"), "the bytes tell, not the header");
    assert_eq!(why("gone.gif").as_deref(), Some("image_download_failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_setting_off_the_text_reminder_goes_even_with_a_picture() {
    let shop = shop_with_image_template().await;
    shop.app.engine.setting_set("reminder_image", "false").unwrap();
    let id = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!((sent.len(), sent[0].template.as_str()), (1, "recupero_carrito"));
    assert!(shop.wa.media().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_id_older_than_its_lifetime_is_uploaded_again() {
    let shop = shop_with_image_template().await;
    let first = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(first).len(), 1);
    let old = shop.wa.media()[0].id.clone();

    // 28 days later (Meta keeps a file 30 days; Recupero re-uploads after 27), same picture.
    shop.app.clock.set(local(BA, 2026, 12, 18, 10, 0));
    let later = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;

    let uploads = shop.wa.media();
    assert_eq!(uploads.len(), 2, "uploaded again: {uploads:?}");
    let sent = shop.messages_for(later);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header_image.as_deref(), Some(format!("id:{}", uploads[1].id).as_str()));
    assert_ne!(uploads[1].id, old);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_whatsapp_no_longer_knows_is_forgotten_and_uploaded_again_without_a_second_message() {
    let shop = shop_with_image_template().await;
    let first = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(first).len(), 1);
    let old = shop.wa.media()[0].id.clone();
    // WhatsApp drops the file early; Recupero's cache still thinks it is fresh.
    shop.wa.expire_media(&old);

    let next = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;

    let sent = shop.messages_for(next);
    assert_eq!(sent.len(), 1, "refused once (131053), then sent once: {sent:?}");
    let uploads = shop.wa.media();
    assert_eq!(uploads.len(), 2, "the picture was uploaded again");
    assert_eq!(sent[0].header_image.as_deref(), Some(format!("id:{}", uploads[1].id).as_str()));
    assert_eq!(cached(&shop, "remera.png").unwrap().media_id.as_deref(), Some(uploads[1].id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_failed_after_the_upload_reuses_the_stored_id() {
    let shop = shop_with_image_template().await;
    // The first send attempt fails after the picture was uploaded (Meta unavailable): the id
    // was stored before the send left, so the retry sends it without a second upload.
    shop.wa.inject(WaFault::Error { code: 131000 });
    let id = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    assert_eq!(shop.wa.media().len(), 1, "the retry re-used the stored id");
    assert_eq!(sent[0].header_image.as_deref(), Some(format!("id:{}", shop.wa.media()[0].id).as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_shows_the_picture_header_when_the_variant_is_on() {
    let shop = shop_with_image_template().await;
    cart(&shop, Some("remera.png"));
    shop.app.engine.poll_due_stores().await.unwrap();
    // The housekeeping poll of the templates' review reads the image variant's approval too.
    assert!(shop.app.engine.refresh_templates_if_due().await.unwrap());

    let p = shop.app.engine.message_preview(Some("es")).unwrap();
    assert_eq!(p.template_name, IMAGE_TEMPLATE);
    assert!(p.image_header);
    let picture = format!("{}/images/products/remera.png", shop.store.base_url());
    assert_eq!(p.image_url.as_deref(), Some(picture.as_str()), "the first picture of the latest cart");
    assert_eq!(p.problems, Vec::<String>::new(), "approved, with the store's links");
    assert_eq!(p.status.as_deref(), Some("APPROVED"));
    let shown = shop.app.engine.preview_picture(Some("es")).await.unwrap().expect("a data address");
    assert!(shown.starts_with("data:image/png;base64,"), "{}", &shown[..40.min(shown.len())]);

    shop.app.engine.setting_set("reminder_image", "false").unwrap();
    let text = shop.app.engine.message_preview(Some("es")).unwrap();
    assert_eq!((text.template_name.as_str(), text.image_header), ("recupero_carrito", false));
    assert_eq!(shop.app.engine.preview_picture(Some("es")).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_image_template_the_preview_says_reminders_go_as_text() {
    let start = local(BA, 2026, 11, 20, 9, 30);
    let shop = Shop::open(BA, "mon-sun 09:00-20:00", start, &[("reminder_image", "true")]).await;
    let p = shop.app.engine.message_preview(Some("es")).unwrap();
    assert_eq!(p.template_name, IMAGE_TEMPLATE, "shown as Recupero would create it");
    assert!(p.image_header);
    assert!(p.problems.iter().any(|c| c == "image_template_missing"), "{:?}", p.problems);
}

/// `recupero whatsapp create-template --image FILE --app-id ID`, the real binary against the
/// sandbox WhatsApp: the example picture goes through the Resumable Upload API and the image
/// variant is submitted in the three languages; a file that is not a JPEG/PNG is refused before
/// anything is uploaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_the_image_variant_with_an_uploaded_example() {
    use recupero::sandbox::whatsapp::{WhatsAppSandbox, WhatsAppSandboxConfig};
    let app = crate::support::spawn_app();
    let wa =
        WhatsAppSandbox::start(WhatsAppSandboxConfig::default(), std::sync::Arc::new(app.clock.clone()), 0)
            .await
            .unwrap();
    for (k, v) in [
        ("whatsapp_base_url", wa.base_url()),
        ("whatsapp_phone_number_id", wa.config().phone_number_id.clone()),
        ("whatsapp_waba_id", wa.config().business_account_id.clone()),
    ] {
        app.engine.setting_set(k, &v).unwrap();
    }
    let dir = app.dir.path().to_path_buf();
    let photo = dir.join("remera.png");
    std::fs::write(&photo, PRODUCT_PNG).unwrap();
    let page = dir.join("page.jpg");
    std::fs::write(&page, b"<!doctype html>").unwrap();
    let env = vec![("RECUPERO_WHATSAPP_TOKEN".to_string(), wa.config().token.clone())];
    let run = |file: &std::path::Path| {
        let args: Vec<String> = ["whatsapp", "create-template", "--button-url", BUTTON_BASE, "--image"]
            .iter()
            .map(|s| s.to_string())
            .chain([file.display().to_string(), "--app-id".into(), SANDBOX_APP_ID.into()])
            .collect();
        let (dir, env) = (dir.clone(), env.clone());
        tokio::task::spawn_blocking(move || crate::support::recupero_env(&dir, &args, &env))
    };

    let refused = run(&page).await.unwrap();
    assert!(!refused.status.success());
    assert!(
        crate::support::text(&refused.stderr).contains("JPEG or a PNG"),
        "{}",
        crate::support::text(&refused.stderr)
    );
    assert!(!wa.templates().iter().any(|t| t.name == IMAGE_TEMPLATE), "nothing submitted");

    let out = run(&photo).await.unwrap();
    assert!(out.status.success(), "{}", crate::support::text(&out.stderr));
    let stdout = crate::support::text(&out.stdout);
    for language in ["es", "pt_BR", "en"] {
        assert!(stdout.contains(&format!("{language:<6} PENDING")), "{stdout}");
        let t =
            wa.templates().into_iter().find(|t| t.name == IMAGE_TEMPLATE && t.language == language).unwrap();
        assert_eq!(t.header, Some(recupero::sandbox::whatsapp::TemplateHeader::Image));
    }
}

/// "Try the demo" with the Message card's switch on: the demo's account has the picture variant
/// approved and its store serves the pictures, so the reminders carry them and the preview
/// shows one (what the real-window screenshot shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_demo_sends_and_previews_the_picture_when_the_switch_is_on() {
    use chrono::TimeZone;
    use recupero::live_demo::LiveDemo;
    let dir = tempfile::tempdir().unwrap();
    let real = recupero::paths::AppPaths::resolve(Some(dir.path())).unwrap();
    let settings_db = tempfile::tempdir().unwrap();
    let base = {
        let db = recupero::storage::Db::open(&settings_db.path().join("s.db")).unwrap();
        let settings = recupero::config::Settings::load(&db.conn()).unwrap();
        settings
    };
    let clock = recupero::clock::TestClock::at(chrono::Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap());
    let mut demo = LiveDemo::start(&real, &base, std::sync::Arc::new(clock.clone())).await.unwrap();
    // Switched on: the preview shows the approved picture variant at once.
    demo.engine().setting_set("reminder_image", "true").unwrap();
    let p = demo.engine().message_preview(Some("es")).unwrap();
    assert_eq!((p.template_name.as_str(), p.status.as_deref()), (IMAGE_TEMPLATE, Some("APPROVED")));
    for _ in 0..10 {
        demo.step().await.unwrap();
        clock.advance(Duration::seconds(2));
    }
    let count = |sql: &str| -> i64 { demo.engine().db().conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    let uploaded = count("SELECT count(*) FROM wa_media WHERE media_id IS NOT NULL");
    let sent = count("SELECT count(*) FROM sends WHERE state = 'sent'");
    assert!(sent >= 3 && uploaded >= 1, "sent {sent}, pictures uploaded {uploaded}");

    let p = demo.engine().message_preview(Some("es")).unwrap();
    assert_eq!(p.template_name, IMAGE_TEMPLATE);
    assert!(p.image_header && p.problems.is_empty(), "{:?}", p.problems);
    assert!(p.image_url.is_some(), "the demo store's carts have pictures");
    let picture = demo.engine().preview_picture(Some("es")).await.unwrap();
    assert!(picture.is_some_and(|p| p.starts_with("data:image/png;base64,")));
}

/// The sandbox WhatsApp behind a gate that refuses every media upload as Meta does (131053).
struct RefusingUploads {
    inner: recupero::whatsapp::client::CloudClient,
}

impl recupero::whatsapp::MessageSender for RefusingUploads {
    fn send_template<'a>(
        &'a self,
        message: &'a recupero::whatsapp::OutgoingTemplate,
    ) -> recupero::whatsapp::BoxFuture<'a, Result<recupero::whatsapp::Accepted, recupero::whatsapp::SendError>>
    {
        self.inner.send_template(message)
    }

    fn send_text<'a>(
        &'a self,
        message: &'a recupero::whatsapp::OutgoingText,
    ) -> recupero::whatsapp::BoxFuture<'a, Result<recupero::whatsapp::Accepted, recupero::whatsapp::SendError>>
    {
        self.inner.send_text(message)
    }

    fn templates<'a>(
        &'a self,
        name: Option<&'a str>,
    ) -> recupero::whatsapp::BoxFuture<
        'a,
        Result<Vec<recupero::domain::TemplateState>, recupero::whatsapp::SendError>,
    > {
        self.inner.templates(name)
    }

    fn create_template<'a>(
        &'a self,
        template: &'a recupero::whatsapp::NewTemplate,
    ) -> recupero::whatsapp::BoxFuture<
        'a,
        Result<recupero::whatsapp::CreatedTemplate, recupero::whatsapp::SendError>,
    > {
        self.inner.create_template(template)
    }

    fn upload_media<'a>(
        &'a self,
        _file: &'a recupero::whatsapp::media::MediaFile,
    ) -> recupero::whatsapp::BoxFuture<'a, Result<String, recupero::whatsapp::SendError>> {
        Box::pin(async {
            Err(recupero::whatsapp::SendError::Terminal {
                code: "131053".into(),
                detail: "Media upload error".into(),
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_whatsapp_refuses_to_take_gets_the_text_reminder() {
    let shop = shop_with_image_template().await;
    shop.app.engine.use_sender(std::sync::Arc::new(RefusingUploads {
        inner: crate::support::shop::cloud_client(&shop.wa),
    }));
    let id = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!((sent.len(), sent[0].template.as_str()), (1, "recupero_carrito"));
    assert_eq!(sent[0].header_image, None);
    let row = cached(&shop, "remera.png").expect("the refusal is remembered");
    assert_eq!((row.media_id, row.refused_why.as_deref()), (None, Some("image_upload_refused")));
}

/// The sandbox WhatsApp behind a gate that runs `on_upload` before each media upload (a STOP
/// arriving, time passing); an error it returns is the upload's answer.
struct UploadHook {
    inner: recupero::whatsapp::client::CloudClient,
    on_upload: Box<dyn Fn() -> Option<recupero::whatsapp::SendError> + Send + Sync>,
}

type Answer<'a, T> = recupero::whatsapp::BoxFuture<'a, Result<T, recupero::whatsapp::SendError>>;

impl recupero::whatsapp::MessageSender for UploadHook {
    fn send_template<'a>(
        &'a self,
        message: &'a recupero::whatsapp::OutgoingTemplate,
    ) -> Answer<'a, recupero::whatsapp::Accepted> {
        self.inner.send_template(message)
    }

    fn send_text<'a>(
        &'a self,
        message: &'a recupero::whatsapp::OutgoingText,
    ) -> Answer<'a, recupero::whatsapp::Accepted> {
        self.inner.send_text(message)
    }

    fn templates<'a>(&'a self, name: Option<&'a str>) -> Answer<'a, Vec<recupero::domain::TemplateState>> {
        self.inner.templates(name)
    }

    fn create_template<'a>(
        &'a self,
        template: &'a recupero::whatsapp::NewTemplate,
    ) -> Answer<'a, recupero::whatsapp::CreatedTemplate> {
        self.inner.create_template(template)
    }

    fn upload_media<'a>(&'a self, file: &'a recupero::whatsapp::media::MediaFile) -> Answer<'a, String> {
        match (self.on_upload)() {
            Some(e) => Box::pin(async move { Err(e) }),
            None => recupero::whatsapp::MessageSender::upload_media(&self.inner, file),
        }
    }
}

fn hook(shop: &Shop, on_upload: impl Fn() -> Option<recupero::whatsapp::SendError> + Send + Sync + 'static) {
    shop.app.engine.use_sender(std::sync::Arc::new(UploadHook {
        inner: crate::support::shop::cloud_client(&shop.wa),
        on_upload: Box::new(on_upload),
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_whatsapp_keeps_refusing_in_the_header_gets_one_text_reminder() {
    let shop = shop_with_image_template().await;
    // Every send naming an uploaded picture is refused (131053), however fresh the upload.
    shop.wa.refuse_image_headers();
    let id = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(3), Duration::minutes(1)).await;

    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "exactly one reminder went: {sent:?}");
    assert_eq!((sent[0].template.as_str(), sent[0].header_image.as_deref()), ("recupero_carrito", None));
    assert_eq!(shop.send(id, 0).0, "sent");
    let uploads = shop.wa.media();
    assert!(uploads.len() <= 2, "no upload loop: {} uploads", uploads.len());
    let row = cached(&shop, "remera.png").expect("the refusal is remembered");
    assert_eq!((row.media_id, row.refused_why.as_deref()), (None, Some("image_upload_refused")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_arriving_during_the_upload_skips_the_reminder() {
    let shop = shop_with_image_template().await;
    let phone = "+54 9 11 6000-0077";
    let id = shop.checkout_with_phone(shop.now() - Duration::minutes(20), phone);
    shop.store.set_picture(shop.platform, id, Some("remera.png"));
    let engine = shop.app.engine.clone();
    // The customer writes STOP while the picture is on its way to WhatsApp.
    hook(&shop, move || {
        engine.opt_out("+5491160000077", "keyword").unwrap();
        None
    });
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;

    assert_eq!(shop.messages_for(id), vec![], "no message after the STOP");
    assert_eq!(shop.send(id, 0), ("skipped".to_string(), Some("opted_out".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_that_ran_out_during_the_upload_is_not_used_to_send() {
    let shop = shop_with_image_template().await;
    let id = cart(&shop, Some("remera.png"));
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (clock, flag) = (shop.app.clock.clone(), fired.clone());
    // The first upload takes longer than the send's lease (120 s by default).
    hook(&shop, move || {
        if !flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
            clock.advance(Duration::minutes(3));
        }
        None
    });
    let until = shop.now() + Duration::hours(2);
    loop {
        let before = fired.load(std::sync::atomic::Ordering::SeqCst);
        shop.tick().await;
        if !before && fired.load(std::sync::atomic::Ordering::SeqCst) {
            assert_eq!(shop.messages_for(id), vec![], "sent on a lease that had run out");
        }
        if shop.now() >= until {
            break;
        }
        shop.app.clock.advance(Duration::minutes(1));
    }
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "sent once, on a fresh lease");
    assert_eq!(shop.wa.media().len(), 1, "the stored id was re-used");
    assert_eq!(sent[0].header_image.as_deref(), Some(format!("id:{}", shop.wa.media()[0].id).as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_is_uploaded_once_per_whatsapp_number() {
    let shop = shop_with_image_template().await;
    let first = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;
    assert_eq!(shop.wa.media().len(), 1);

    // The owner connects another number: its own upload, the first number's id is not sent.
    shop.app.engine.setting_set("whatsapp_phone_number_id", "209871234567890").unwrap();
    let second = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;
    let uploads = shop.wa.media();
    assert_eq!(uploads.len(), 2, "uploaded again for the other number: {uploads:?}");
    assert_eq!(shop.messages_for(second)[0].header_image, Some(format!("id:{}", uploads[1].id)));

    // Back to the first number: its id is still cached, nothing uploaded.
    shop.app.engine.setting_set("whatsapp_phone_number_id", "").unwrap();
    let third = cart(&shop, Some("remera.png"));
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;
    assert_eq!(shop.wa.media().len(), 2);
    for (id, media) in [(first, &uploads[0]), (third, &uploads[0])] {
        assert_eq!(shop.messages_for(id)[0].header_image, Some(format!("id:{}", media.id)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_redirecting_to_another_local_host_is_not_fetched() {
    let shop = shop_with_image_template().await;
    // The store's own host (loopback here) is trusted; its picture sends the download on to
    // `localhost` — the same machine under another name, as a LAN address would be.
    assert!(shop.store.base_url().starts_with("http://127.0.0.1:"), "{}", shop.store.base_url());
    let away = cart(&shop, Some("away-remera.png"));
    let elsewhere = cart(&shop, None);
    let port = shop.store.base_url().rsplit(':').next().unwrap().to_string();
    let direct = format!("http://localhost:{port}/images/products/remera.png");
    shop.store.set_picture(shop.platform, elsewhere, Some(&direct));
    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(1)).await;

    for id in [away, elsewhere] {
        let sent = shop.messages_for(id);
        assert_eq!(sent.len(), 1, "the reminder still goes, once");
        assert_eq!((sent[0].template.as_str(), sent[0].header_image.as_deref()), ("recupero_carrito", None));
    }
    assert!(shop.wa.media().is_empty(), "nothing local was uploaded: {:?}", shop.wa.media());
    let refused = cached(&shop, "away-remera.png").and_then(|r| r.refused_why);
    assert_eq!(refused.as_deref(), Some("image_download_failed"));
}

const PROXY_CHILD: &str = "RECUPERO_TEST_PICTURE_PROXY";

/// Only does something in the child process of the test below, whose environment names a
/// system proxy (a variable set in a child, never in this shared test process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_download_in_a_process_with_a_system_proxy() {
    let Ok(proxy) = std::env::var(PROXY_CHILD) else { return };
    let listener = std::net::TcpListener::bind(proxy.trim_start_matches("http://")).unwrap();
    listener.set_nonblocking(true).unwrap();
    // A proxy that would hand over any picture it is asked for: a name only it can resolve (a
    // host on the shop's own network, the router's admin page) stands for every such address.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = answered.clone();
    std::thread::spawn(move || loop {
        if let Ok((mut socket, _)) = listener.accept() {
            use std::io::{Read, Write};
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            socket.set_nonblocking(false).unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\n\r\n",
                PRODUCT_PNG.len()
            );
            let _ = socket.write_all(head.as_bytes());
            let _ = socket.write_all(PRODUCT_PNG);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    });
    for url in ["http://router.shop.invalid/admin/photo.png", "https://intranet.shop.invalid/p.png"] {
        let fetched = recupero::whatsapp::media::fetch_image(url, &[]).await;
        assert!(fetched.is_err(), "{url}: a name with no public address is not fetched, proxy or not");
    }
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 0, "the proxy was never asked");
    println!("proxy never asked");
}

/// The picture download connects only to the public addresses it checked: a system proxy
/// (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`) would resolve and connect on its own side, past
/// the check, so the download never goes through one (like every other request of the app).
#[test]
fn the_picture_download_never_goes_through_a_system_proxy() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = format!("http://127.0.0.1:{port}");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reminder_image::a_picture_download_in_a_process_with_a_system_proxy",
            "--nocapture",
        ])
        .env(PROXY_CHILD, &proxy)
        .envs(
            ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"]
                .map(|k| (k, &proxy)),
        )
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let (stdout, stderr) = (crate::support::text(&out.stdout), crate::support::text(&out.stderr));
    assert!(out.status.success() && stdout.contains("proxy never asked"), "{stdout}\n{stderr}");
}
