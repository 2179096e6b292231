#!/usr/bin/env python3
"""memoria-trees.py KIND DIR: build one export as memoria's test fixtures
(tests/fixtures/generators.py) shape it, with real media of distinct bytes.
The shapes are memoria's facts; the media are real (ffmpeg), unlike
memoria's 20-byte MP4. Kinds: see TREES below."""
import json, os, sqlite3, subprocess, sys

base = os.path.join(os.environ.get("BATS_TEST_TMPDIR", "/tmp"), ".memoria-media")


def seed(ext):
    os.makedirs(base, exist_ok=True)
    p = os.path.join(base, "seed." + ext)
    if not os.path.exists(p):
        if ext in ("mp4", "mov"):
            args = ["-f", "lavfi", "-i", "testsrc=size=32x24:rate=5:duration=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4"]
        elif ext == "png":
            args = ["-f", "lavfi", "-i", "testsrc=size=32x24", "-frames:v", "1", "-f", "image2", "-c:v", "png"]
        else:
            args = ["-f", "lavfi", "-i", "testsrc=size=32x24", "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg"]
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y"] + args + [p], check=True)
    return open(p, "rb").read()


def media(path):
    """A real file of its own bytes: JPEG with a COM segment naming it,
    MP4/PNG with the name appended after the last box/chunk's end is not
    valid, so those get a trailing free box / private chunk."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ext = path.rsplit(".", 1)[-1].lower()
    tag = path.encode()
    if ext in ("jpg", "jpeg"):
        b = seed("jpg")
        b = b[:2] + b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag + b[2:]
    elif ext in ("mp4", "mov"):
        b = seed("mp4") + (len(tag) + 8).to_bytes(4, "big") + b"free" + tag
    elif ext == "png":
        import zlib
        b = seed("png")
        chunk = (len(tag)).to_bytes(4, "big") + b"prVt" + tag + zlib.crc32(b"prVt" + tag).to_bytes(4, "big")
        b = b[:-12] + chunk + b[-12:]
    else:
        b = seed("jpg")
    open(path, "wb").write(b)


def wj(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def wt(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def gphotos(d, json_too=True):
    for album, files in {"Test Album": ["photo1.jpg", "photo2.png"]}.items():
        for i, name in enumerate(files):
            media(f"{d}/Google Photos/{album}/{name}")
            if json_too:
                wj(f"{d}/Google Photos/{album}/{name}.json", {
                    "title": name, "photoTakenTime": {"timestamp": str(1609459200 + i)},
                    "geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0},
                    "description": f"Test photo in {album}"})


def gchat(d, groups=True, users=True, messages=True):
    if groups:
        g = f"{d}/Google Chat/Groups/DM abc"
        wj(f"{g}/group_info.json", {"members": [{"name": "Me", "email": "me@example.com"},
                                                {"name": "Ann", "email": "ann@example.com"}]})
        if messages:
            wj(f"{g}/messages.json", {"messages": [{"creator": {"name": "Ann", "email": "ann@example.com"},
                "created_date": "Friday, January 1, 2021 at 12:00:00 PM UTC", "text": "Hello!",
                "attached_files": [{"export_name": "image.jpg"}]}]})
            media(f"{g}/image.jpg")
    else:
        os.makedirs(f"{d}/Google Chat/Groups", exist_ok=True)
    if users:
        wj(f"{d}/Google Chat/Users/User 1/user_info.json", {"user": {"name": "Me", "email": "me@example.com"}})
    else:
        os.makedirs(f"{d}/Google Chat/Users", exist_ok=True)


def gvoice(d, name="+1234567890 - Text - 2021-01-01T12_00_00Z.html", calls=True, voice=True):
    root = f"{d}/Voice/Calls" if calls else f"{d}/Voice"
    if not voice:
        root = f"{d}/Other/Calls"
    wt(f"{root}/{name}", '<!DOCTYPE html><html><head><title>Text with +1234567890</title></head><body>'
       '<div class="message"><div class="sender">+1234567890</div><div class="text">Hi!</div>'
       '<div class="time">12:01 PM</div><img src="image.jpg"></div></body></html>')
    media(f"{root}/image.jpg")


def snapmem(d, layout="", overlays=True, mediadir=True, meta=True, content=None):
    r = f"{d}/{layout}" if layout else d
    mems = [{"date": "2021-01-01 12:00:00 UTC", "media_type": "Image", "media_filename": "memory1.jpg",
             "overlay_filename": "overlay1.png" if overlays else None},
            {"date": "2021-01-02 12:00:00 UTC", "media_type": "Video", "media_filename": "memory2.mp4",
             "overlay_filename": "overlay2.png" if overlays else None}]
    for m in mems:
        if mediadir:
            media(f"{r}/media/{m['media_filename']}")
        if overlays:
            media(f"{r}/overlays/{m['overlay_filename']}")
    if meta:
        wj(f"{r}/metadata.json", mems if content is None else content)


def snapmsg_raw(d, layout="", chat=True, snap=True, jsondir=True):
    r = f"{d}/{layout}" if layout else d
    j = f"{r}/json" if jsondir else r
    if chat:
        wj(f"{j}/chat_history.json", {"Received Saved Chat History": [
            {"From": "ann", "Media Type": "IMAGE", "Created": "2021-01-01 12:00:00 UTC"}],
            "Sent Saved Chat History": []})
    if snap:
        wj(f"{j}/snap_history.json", {"Received Snap History": [], "Sent Snap History": []})
    if chat and snap:	# memoria's own fixture has no chat_media at all
        media(f"{r}/chat_media/2021-01-01_b~abc123.jpg")


def snapmsg_pre(d):
    wj(f"{d}/metadata.json", {"export_info": {"export_username": "testuser", "export_date": "2021-01-15"},
        "conversations": {"other_user": {"title": "Other User", "type": "dm", "messages": [
            {"created": "2021-01-01 12:00:00 UTC", "sender": "Other User", "media_id": "b~abc123",
             "media_file": "2021-01-01_b~abc123.jpg"}]}},
        "orphaned_media": []})
    media(f"{d}/media/2021-01-01_b~abc123.jpg")
    os.makedirs(f"{d}/overlays", exist_ok=True)


def igmsg(d, new=True, html="message_1.html"):
    inbox = f"{d}/your_instagram_activity/messages/inbox" if new else f"{d}/messages/inbox"
    c = f"{inbox}/otheruser_123456"
    wt(f"{c}/{html}", '<!DOCTYPE html><html><head><title>Other User</title></head><body>'
       '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'
       '<div class="_3-95 _a6-o">Other User</div><div class="_a6-p">Hello!<a href="photos/photo.jpg">x</a></div>'
       '<div class="_3-94 _a6-o">2021-01-01T12:00:00</div></div></body></html>')
    media(f"{c}/photos/photo.jpg")


def igpublic(d, posts=True, archived=True, stories_only=False):
    if stories_only:
        media(f"{d}/media/stories/202101/story1.jpg")
        return
    if posts:
        media(f"{d}/media/posts/202101/photo1.jpg")
        wj(f"{d}/media/posts/202101/photo1.jpg.json", {"caption": "Test post", "taken_at": "2021-01-01T12:00:00"})
    if archived:
        media(f"{d}/media/archived_posts/202101/photo2.jpg")
        wj(f"{d}/media/archived_posts/202101/photo2.jpg.json",
           {"caption": "Archived post", "taken_at": "2021-01-15T12:00:00"})


def igold(d, n=4, utc=True):
    names = ["2021-01-01_12-00-00_UTC.jpg", "2021-01-02_12-00-00_UTC.mp4",
             "2021-01-03_12-00-00_UTC_1.jpg", "2021-01-03_12-00-00_UTC_2.jpg"][:n]
    for nm in names:
        media(f"{d}/{nm if utc else nm.replace('_UTC', '')}")
    if n >= 2:	# memoria's "1 file" case is one file alone
        wt(f"{d}/{'2021-01-01_12-00-00_UTC.txt' if utc else '2021-01-01_12-00-00.txt'}", "Test caption")
    if n >= 3:
        wt(f"{d}/2021-01-03_12-00-00_UTC_1.txt" if utc else f"{d}/2021-01-03_12-00-00_1.txt", "Carousel caption")


def discord(d, index=True, cdir=True, messages=True, server=True, dm=True):
    if not messages:
        os.makedirs(d, exist_ok=True)
        media(f"{d}/Other/c1/image.jpg")
        return
    idx = {}
    if server:
        idx["123456789"] = "general in Test Server"
        c = f"{d}/Messages/{'c' if cdir else 'x'}123456789"
        wj(f"{c}/channel.json", {"id": "123456789", "type": "GUILD_TEXT", "name": "general",
                                  "guild": {"id": "5", "name": "Test Server"}})
        wj(f"{c}/messages.json", [{"ID": 1, "Timestamp": "2021-01-01 12:00:00", "Contents": "Hello world!",
            "Attachments": "https://cdn.discordapp.com/attachments/123/456/image.jpg"}])
        media(f"{c}/image.jpg")
    if dm:
        idx["987654321"] = "Direct Message with user#0"
        c = f"{d}/Messages/{'c' if cdir else 'x'}987654321"
        wj(f"{c}/channel.json", {"id": "987654321", "type": "DM", "recipients": ["1", "2"]})
        wj(f"{c}/messages.json", [{"ID": 2, "Timestamp": "2021-01-02 12:00:00", "Contents": "Private",
            "Attachments": "https://cdn.discordapp.com/attachments/987/654/clip.mp4"}])
        media(f"{c}/clip.mp4")
    if index:
        wj(f"{d}/Messages/index.json", idx)


def imessage(d, sub="", dbname="chat.db", attachments=True):
    r = f"{d}/{sub}" if sub else d
    os.makedirs(r, exist_ok=True)
    db = sqlite3.connect(f"{r}/{dbname}")
    db.executescript("""
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT, service TEXT);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, guid TEXT, style INTEGER, chat_identifier TEXT,
  display_name TEXT, service_name TEXT);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER,
  date INTEGER, is_from_me INTEGER, cache_has_attachments INTEGER, attributedBody BLOB);
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, guid TEXT, filename TEXT, mime_type TEXT,
  transfer_name TEXT, transfer_state INTEGER, total_bytes INTEGER, is_outgoing INTEGER, created_date INTEGER);
CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER);
CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER);
CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER);
INSERT INTO handle VALUES (1, '+1234567890', 'iMessage');
INSERT INTO chat VALUES (1, 'iMessage;-;+1234567890', 45, '+1234567890', NULL, 'iMessage');
INSERT INTO chat_handle_join VALUES (1, 1);
INSERT INTO message VALUES (1, 'm1', 'Hello!', 1, 631152000000000000, 0, 1, NULL);
INSERT INTO chat_message_join VALUES (1, 1, 631152000000000000);
INSERT INTO message_attachment_join VALUES (1, 1);
""")
    home = "~/Library/SMS/Attachments" if dbname == "sms.db" else "~/Library/Messages/Attachments"
    db.execute("INSERT INTO attachment VALUES (1, 'a1', ?, 'image/jpeg', 'image.jpg', 5, 100, 0, 0)",
               (f"{home}/00/00/image.jpg",))
    db.commit()
    db.close()
    if attachments:
        media(f"{r}/Attachments/00/00/image.jpg")
    else:
        media(f"{r}/image.jpg")


TREES = {
    "gphotos": lambda d: gphotos(d),
    "gphotos-nojson": lambda d: gphotos(d, json_too=False),
    "gphotos-files-only": lambda d: (media(f"{d}/Google Photos/photo1.jpg"),
                                     wj(f"{d}/Google Photos/photo1.jpg.json", {"title": "photo1.jpg"})),
    "gphotos-none": lambda d: media(f"{d}/Pictures/Test Album/photo1.jpg"),
    "gchat": lambda d: gchat(d),
    "gchat-groups-only": lambda d: gchat(d, users=False),
    "gchat-users-only": lambda d: gchat(d, groups=False),
    "gchat-no-messages": lambda d: gchat(d, messages=False),
    "gvoice": lambda d: gvoice(d),
    "gvoice-no-voice": lambda d: gvoice(d, voice=False),
    "gvoice-no-calls": lambda d: gvoice(d, calls=False),
    "gvoice-no-html": lambda d: gvoice(d, name="notes.html"),
    "snapmem": lambda d: snapmem(d),
    "snapmem-memories": lambda d: snapmem(d, layout="memories"),
    "snapmem-no-overlays": lambda d: snapmem(d, overlays=False),
    "snapmem-no-media": lambda d: snapmem(d, mediadir=False),
    "snapmem-no-meta": lambda d: snapmem(d, meta=False),
    "snapmem-empty": lambda d: snapmem(d, content=[]),
    "snapmem-bad": lambda d: snapmem(d, content=[{"foo": "bar"}]),
    "snapmem-dict": lambda d: snapmem(d, content={"memories": "x"}),
    "snapmsg": lambda d: snapmsg_raw(d),
    "snapmsg-messages": lambda d: snapmsg_raw(d, layout="messages"),
    "snapmsg-no-json": lambda d: snapmsg_raw(d, jsondir=False),
    "snapmsg-no-chat": lambda d: snapmsg_raw(d, chat=False),
    "snapmsg-no-snap": lambda d: snapmsg_raw(d, snap=False),
    "snapmsg-pre": lambda d: snapmsg_pre(d),
    "igmsg": lambda d: igmsg(d),
    "igmsg-legacy": lambda d: igmsg(d, new=False),
    "igmsg-other-html": lambda d: igmsg(d, html="other.html"),
    "igpublic-posts": lambda d: igpublic(d, archived=False),
    "igpublic-archived": lambda d: igpublic(d, posts=False),
    "igpublic-stories": lambda d: igpublic(d, stories_only=True),
    "igold": lambda d: igold(d),
    "igold-one": lambda d: igold(d, n=1),
    "igold-noutc": lambda d: igold(d, utc=False),
    "discord": lambda d: discord(d),
    "discord-server": lambda d: discord(d, dm=False),
    "discord-dm": lambda d: discord(d, server=False),
    "discord-no-messages": lambda d: discord(d, messages=False),
    "discord-no-index": lambda d: discord(d, index=False),
    "discord-no-cdir": lambda d: discord(d, cdir=False),
    "imessage-mac": lambda d: imessage(d),
    "imessage-iphone": lambda d: imessage(d, sub="SMS", dbname="sms.db"),
    "imessage-no-attachments": lambda d: imessage(d, attachments=False),
}

if __name__ == "__main__":
    TREES[sys.argv[1]](sys.argv[2])
