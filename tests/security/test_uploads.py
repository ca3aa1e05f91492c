"""Meter photos (ASVS 5.0 V5 File Handling): a size limit, the type checked by content, decompression bombs
refused, the image re-encoded without its metadata (GPS position, camera), stored under a generated name, and
served only to staff through a view, never as a public file.

The basic cases of the portal's upload (a photo attached, a PHP file named .jpg refused) are in
tests/portal/test_submit_reading.py, the reader app's in tests/collector/test_reader_app.py.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.common.images import MAX_PIXELS, MAX_UPLOAD_BYTES, ImageRejected, clean_photo
from ebok.readings.models import Reading, Source, Status

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0131] = "SecretCam 1.0"  # software
    exif[GPS_IFD] = {1: "N", 2: (50.0, 51.0, 52.5), 3: "E", 4: (20.0, 37.0, 1.0)}
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(out, format="JPEG", exif=exif, comment=b"home of Anna Nowak")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test file really has a position
    return data


def png(size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims huge dimensions (its pixels would need width × height bytes)."""
    data = bytearray(png((1, 1), mode="L"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def upload(data: bytes, name: str = "meter.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


# --- the checks of ebok.common.images.clean_photo ---------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    big = SimpleUploadedFile("meter.jpg", b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES)

    with pytest.raises(ImageRejected) as refused:
        clean_photo(big)

    assert refused.value.code == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"<?php system($_GET['c']); ?>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"<html><script>alert(1)</script></html>",
        b"\xff\xd8\xff\xe0" + b"\0JFIF" + b"garbage" * 100,  # JPEG magic bytes, then nothing of a picture
        png()[:60],  # a PNG cut short
        b"%PDF-1.7\n",
        b"",
    ],
    ids=["php", "svg", "html", "jpeg-magic-only", "truncated-png", "pdf", "empty"],
)
def test_a_file_named_jpg_that_is_not_a_readable_image_is_refused(data):
    with pytest.raises(ImageRejected) as refused:
        clean_photo(upload(data, "meter.jpg"))

    assert refused.value.code == "not_an_image"


def test_an_image_with_more_pixels_than_the_limit_is_refused_as_a_possible_bomb():
    width = 8000
    height = MAX_PIXELS // width + 1
    bomb = png((width, height), mode="1")  # one bit a pixel: a few kilobytes on disk, 40 MB+ in memory

    assert len(bomb) < 1024 * 1024
    with pytest.raises(ImageRejected) as refused:
        clean_photo(upload(bomb, "meter.png"))

    assert refused.value.code == "not_an_image"


@pytest.mark.parametrize("size", [(65535, 65535), (1_000_000, 1), (2**31 - 1, 2**31 - 1)])
def test_a_png_claiming_huge_dimensions_is_refused_without_decoding_it(size):
    with pytest.raises(ImageRejected):
        clean_photo(upload(png_claiming(*size), "meter.png"))


def test_the_stored_photo_is_a_new_jpeg_without_exif_or_gps():
    cleaned = clean_photo(upload(jpeg_with_gps(), "IMG_0001.jpg"))

    image = Image.open(cleaned)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(GPS_IFD)
    assert "exif" not in image.info


SECRET = b"Anna Nowak 50.8661N 20.6286E"


def _saved(format: str, **params) -> bytes:
    out = io.BytesIO()
    Image.new("P" if format == "GIF" else "RGB", (32, 24)).save(out, format=format, **params)
    assert SECRET in out.getvalue()
    return out.getvalue()


def _png_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())
    return _saved("PNG", pnginfo=info)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _saved("JPEG", comment=SECRET),
        lambda: _saved("JPEG", xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>"),
        lambda: _saved("JPEG", icc_profile=SECRET * 4),
        lambda: _saved("GIF", comment=SECRET),
        _png_text,
        lambda: _saved("WEBP", exif=b"Exif\0\0" + SECRET, xmp=SECRET),
    ],
    ids=["jpeg-comment", "jpeg-xmp", "jpeg-icc", "gif-comment", "png-text", "webp-exif-xmp"],
)
def test_no_metadata_of_the_upload_survives_the_re_encoding(make):
    data = clean_photo(upload(make(), "meter.img")).read()

    assert SECRET not in data
    assert set(Image.open(io.BytesIO(data)).info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density"}


def test_bytes_hidden_after_an_image_do_not_survive_the_re_encoding():
    polyglot = png() + b"<?php system($_GET['c']); ?>"

    data = clean_photo(upload(polyglot, "meter.png")).read()

    assert b"<?php" not in data
    assert Image.open(io.BytesIO(data)).format == "JPEG"


@pytest.mark.parametrize("name", ["meter.jpg", "../../etc/passwd.jpg", "x.php.jpg", "zdjęcie licznika.png"])
def test_the_stored_name_is_generated_not_the_uploaded_one(name):
    cleaned = clean_photo(upload(png(), name))

    stem, extension = cleaned.name.rsplit(".", 1)
    assert extension == "jpg"
    assert len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)


def test_a_large_photo_is_scaled_down():
    cleaned = clean_photo(upload(png((4000, 3000)), "meter.png"))

    assert max(Image.open(cleaned).size) <= 2000


# --- through the portal and the back-office -----------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def client_a(client, cast):
    client.force_login(cast["customer_a"])
    return client


@pytest.fixture
def held_reading(home_a):
    meter = home_a["meter"]
    return Reading.objects.create(
        meter=meter,
        date=home_a["point"].billed_until,
        value=meter.installation_reading,
        source=Source.PORTAL,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "90", "days": 30, "expected": "9"},
        created_at=clock.now(),
        idempotency_key="held-reading-of-a",
    )


def attach(client, reading, data: bytes, name: str = "meter.jpg"):
    return client.post(reverse("portal:reading_photo", args=[reading.pk]), {"photo": upload(data, name)})


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES, "huge.jpg"),
        (b"<?php echo 1; ?>", "meter.jpg"),
        (png_claiming(65535, 65535), "meter.png"),
    ],
    ids=["too-large", "not-an-image", "bomb"],
)
def test_the_portal_refuses_a_bad_photo_with_a_message_and_stores_nothing(
    client_a, held_reading, media, data, name
):
    response = attach(client_a, held_reading, data, name)

    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    held_reading.refresh_from_db()
    assert not held_reading.photo
    assert not any(media.rglob("*"))
    assert not AuditEntry.objects.filter(action="reading.photo_attached").exists()


def test_the_portal_stores_the_photo_cleaned_under_a_generated_name(client_a, held_reading, media):
    response = attach(client_a, held_reading, jpeg_with_gps(), "../../IMG_0001 Anna.jpg")

    assert response.status_code == 302
    held_reading.refresh_from_db()
    stored = media / held_reading.photo.name
    assert stored.parent == media / "readings"
    assert "IMG" not in stored.name and "Anna" not in stored.name
    assert not Image.open(stored).getexif()


@pytest.fixture
def photo_of_a(client_a, held_reading, media):
    assert attach(client_a, held_reading, jpeg_with_gps()).status_code == 302
    held_reading.refresh_from_db()
    return held_reading


@pytest.mark.parametrize("role", ["office_clerk", "administrator", "auditor", "meter_reader"])
def test_staff_with_the_permission_see_the_photo_as_a_private_jpeg(client, cast, photo_of_a, role):
    client.force_login(cast[role])

    response = client.get(reverse("backoffice:reading_photo", args=[photo_of_a.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="reading-{photo_of_a.pk}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


@pytest.mark.parametrize("who", ["customer_a", "customer_b"])
def test_customers_do_not_get_the_photo_from_the_staff_url(client, cast, photo_of_a, who):
    """The owner sent it but gets it back from nowhere (the portal has no page that shows it); another
    customer neither."""
    client.force_login(cast[who])

    assert client.get(reverse("backoffice:reading_photo", args=[photo_of_a.pk])).status_code == 403


def test_the_anonymous_are_sent_to_the_staff_login_for_a_photo(client, photo_of_a):
    client.logout()  # the owner's session, from attaching the photo

    response = client.get(reverse("backoffice:reading_photo", args=[photo_of_a.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))


def test_uploaded_files_are_not_served_as_public_files(client, cast, photo_of_a, settings):
    client.force_login(cast["administrator"])

    response = client.get(f"{settings.MEDIA_URL}{photo_of_a.photo.name}")

    assert response.status_code == 404


def test_another_customer_cannot_attach_a_photo_to_a_reading_of_customer_a(client, cast, held_reading, media):
    client.force_login(cast["customer_b"])

    response = attach(client, held_reading, png(), "meter.png")

    assert response.status_code == 404
    held_reading.refresh_from_db()
    assert not held_reading.photo
