fn main() {
    strongroom_build::emit();
}
