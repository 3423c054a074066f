mod common;
use common::*;

#[test]
fn sample_encrypts_and_decrypts_with_openssl() {
    let s = Scratch::sample();
    s.install_keys("test");
    let out = s.confpass().arg("-p").output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let conf = s.read_str("confserv.conf");
    let v = value_of(&conf, "password").unwrap();
    assert!(v.contains(TEST_KID));
    assert_eq!(openssl_decrypt(&v, &s.path("dec.pem")), SAMPLE_PASSWORD);
    assert_eq!(openssl_key_id(&s.path("enc.pem")), TEST_KID);
}
