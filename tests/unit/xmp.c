/* Unit tests of lib/xmp.c: a property found by its namespace, whatever
 * prefix binds it, as an attribute or an element. */
#include <string.h>

#include "mem.h"
#include "tap.h"

#define NS_XMP "http://ns.adobe.com/xap/1.0/"
#define NS_EXIF "http://ns.adobe.com/exif/1.0/"

/* The value found, or "" for none. */
static const char *
find(const char *x, const char *uri, const char *name, size_t max)
{
	static char v[256];
	size_t at, len;

	if (xmp_find(x, strlen(x), uri, name, max, &at, &len) < 0 || len >= sizeof(v))
		return "";
	memcpy(v, x + at, len);
	v[len] = '\0';
	return v;
}

#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

/* The start tag found, as "<...>", or "" for none. */
static const char *
tag(const char *x, const char *uri, const char *name)
{
	static char v[256];
	size_t lt, end;

	if (xmp_start_tag(x, strlen(x), uri, name, &lt, &end) < 0 || end - lt >= sizeof(v))
		return "";
	memcpy(v, x + lt, end - lt);
	v[end - lt] = '\0';
	return v;
}

int
main(void)
{
	static const char attr[] = "<rdf:Description rdf:about=''\n"
	    "  xmlns:xmp='" NS_XMP "'\n  xmp:CreateDate = \"2017-03-04T05:06:07\"/>";
	static const char elem[] = "<rdf:Description xmlns:xap=\"" NS_XMP "\">"
	    "<xap:CreateDate>2001-02-03T04:05</xap:CreateDate></rdf:Description>";
	static const char two[] = "<d xmlns:e=\"" NS_EXIF "\" e:DateTimeOriginalX=\"no\""
	    " e:DateTimeOriginal=\"2002-01-01T00:00:00+05:00\"/>";
	static const char unbound[] = "<d xmlns:a=\"http://other/\" xmp:CreateDate=\"2003\"/>";
	static const char cut[] = "<d xmlns:xmp=\"" NS_XMP "\" xmp:CreateDate=\"2004";

	ok(strcmp(find(attr, NS_XMP, "CreateDate", 64), "2017-03-04T05:06:07") == 0,
	    "an attribute, spaces around its '=', in single-quoted xmlns");
	ok(strcmp(find(elem, NS_XMP, "CreateDate", 64), "2001-02-03T04:05") == 0,
	    "an element, under Adobe's older prefix xap:");
	ok(strcmp(find(two, NS_EXIF, "DateTimeOriginal", 64), "2002-01-01T00:00:00+05:00") == 0,
	    "a longer name of the same start is not the property");
	ok(strcmp(find(attr, NS_EXIF, "CreateDate", 64), "") == 0,
	    "the same name in another namespace is not found");
	ok(strcmp(find(unbound, NS_XMP, "CreateDate", 64), "") == 0,
	    "a prefix no xmlns binds to the namespace is not found");
	ok(strcmp(find(attr, NS_XMP, "CreateDate", 18), "") == 0 &&
	    strcmp(find(attr, NS_XMP, "CreateDate", 19), "2017-03-04T05:06:07") == 0,
	    "a value longer than max is passed over");
	ok(strcmp(find(cut, NS_XMP, "CreateDate", 64), "") == 0,
	    "a value cut short by the packet's end is none");
	ok(strcmp(tag("<x:xmpmeta><r:RDF xmlns:r='" NS_RDF "' a=\"1>2\">\n<r:Description/>",
	    NS_RDF, "RDF"), "<r:RDF xmlns:r='" NS_RDF "' a=\"1>2\">") == 0,
	    "a start tag under any prefix, a '>' in a quoted value not its end");
	ok(strcmp(tag("<rdf:RDFx xmlns:rdf='" NS_RDF "'/><rdf:RDF/>", NS_RDF, "RDF"),
	    "<rdf:RDF/>") == 0, "a longer name is not the tag; an empty element is one");
	ok(strcmp(tag("<a xmlns:p='" NS_RDF "'><b xmlns:q='" NS_RDF "'><q:RDF><p:RDF>",
	    NS_RDF, "RDF"), "<q:RDF>") == 0,
	    "the first in the packet, whichever of two prefixes it has");
	ok(strcmp(tag("<rdf:RDF xmlns:rdf='" NS_RDF "' a='>", NS_RDF, "RDF"), "") == 0 &&
	    strcmp(tag("<rdf:RDF xmlns:rdf='http://other/'>", NS_RDF, "RDF"), "") == 0,
	    "a tag cut short, or of a prefix bound to another namespace, is none");
	return done();
}
